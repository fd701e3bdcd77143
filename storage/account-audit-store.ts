// The account audit log (OWASP ASVS 4.0 §7.2): who did what to which account, when and from where:
// sign-ins and their failures, password changes and resets, disabling, API tokens created and revoked.
// Never a password, token or session id.
import type { Db } from './db.ts';

export const ACCOUNT_ACTIONS = [
  'login',
  'login-failed',
  'logout',
  'user-created',
  'password-changed',
  'password-reset',
  'user-disabled',
  'user-enabled',
  'token-created',
  'token-revoked',
] as const;
export type AccountAction = (typeof ACCOUNT_ACTIONS)[number];

export interface AccountAuditEntry {
  id: number;
  at: number;
  /** The acting user, `cli` for the command line, or the submitted name for a sign-in. */
  actor: string;
  action: AccountAction;
  username: string;
  detail: string;
  clientIp: string | null;
}

export async function auditAccount(
  db: Db,
  e: {
    actor: string;
    action: AccountAction;
    username: string;
    detail?: string;
    clientIp?: string;
    at: number;
  },
): Promise<void> {
  await db.run(
    'INSERT INTO account_audit (at, actor, action, username, detail, client_ip) VALUES (?, ?, ?, ?, ?, ?)',
    [
      e.at,
      e.actor.slice(0, 64),
      e.action,
      e.username.slice(0, 64),
      (e.detail ?? '').slice(0, 255),
      e.clientIp ?? null,
    ],
  );
}

export async function accountAudit(
  db: Db,
  opts: { username?: string; limit?: number } = {},
): Promise<AccountAuditEntry[]> {
  const limit = Math.min(Math.max(opts.limit ?? 100, 1), 1000);
  const rows = await db.all<{
    id: number;
    at: number;
    actor: string;
    action: AccountAction;
    username: string;
    detail: string;
    client_ip: string | null;
  }>(
    `SELECT id, at, actor, action, username, detail, client_ip FROM account_audit
     ${opts.username !== undefined ? 'WHERE username = ?' : ''} ORDER BY id DESC LIMIT ${limit}`,
    opts.username !== undefined ? [opts.username] : [],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: Number(r.at),
    actor: r.actor,
    action: r.action,
    username: r.username,
    detail: r.detail,
    clientIp: r.client_ip,
  }));
}
