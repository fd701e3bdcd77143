// Dashboard accounts: users with scrypt password hashes, server-side sessions and hashed API tokens
// (sign-in throttling: login-throttle.ts). Every credential is stored only as a keyed hash (HMAC with the deployment secret),
// so a leaked table is not a list of working sessions or tokens.

import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { getConfig } from '../config/env.ts';
import { type AccountAction, auditAccount } from './account-audit-store.ts';
import type { Db } from './db.ts';
import { passwordProblem } from './password-policy.ts';

export const ROLES = ['clinician', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: number;
  username: string;
  role: Role;
}

export const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

// scrypt cost: N=2^14, r=8 (16 MiB, ~50 ms here) — OWASP's minimum recommendation for scrypt.
const SCRYPT = { N: 16384, r: 8, p: 1, keyLen: 32 } as const;

function scryptAsync(password: Buffer, salt: Buffer, N: number, r: number, p: number, len: number) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, len, { N, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** HMAC-SHA256 of `value` under the deployment secret, hex: how sessions, tokens and attempt keys are stored. */
export function keyedHash(secret: string, value: string): string {
  return createHmac('sha256', secret).update(value).digest('hex');
}

/** The password is peppered with the secret before scrypt, so the hashes alone cannot be brute-forced. */
function pepper(secret: string, password: string): Buffer {
  return createHmac('sha256', secret).update(password, 'utf8').digest();
}

export async function hashPassword(secret: string, password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(pepper(secret, password), salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLen);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(secret: string, password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  const key = await scryptAsync(pepper(secret, password), salt, N, r, p, expected.length);
  return timingSafeEqual(key, expected);
}

// A fixed hash checked when the username is unknown, so response time does not reveal which names exist.
let dummyHash: Promise<string> | undefined;

/** A random opaque credential, URL-safe. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

// ---- secret ----

/**
 * The secret that keys every stored hash: `VIGIL_SESSION_SECRET` when set (clusters, shared by all
 * replicas), else one generated on first use and kept in `app_secrets` (embedded runtime: per data dir).
 * Changing it invalidates every password, session and API token.
 */
export async function resolveSecret(
  db: Db,
  configured: string | undefined = getConfig().VIGIL_SESSION_SECRET,
): Promise<string> {
  // config/env.ts has checked its length.
  if (configured !== undefined) return configured;
  const verb = db.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
  // Two replicas starting together both try; the unique key keeps the first, both read it back.
  await db.run(`${verb} INTO app_secrets (name, value, created_at) VALUES ('session', ?, ?)`, [
    randomToken(32),
    Date.now(),
  ]);
  const row = await db.get<{ value: string }>("SELECT value FROM app_secrets WHERE name = 'session'");
  if (!row) throw new Error('app_secrets: session secret missing after insert');
  return row.value;
}

// ---- users ----

export class UserInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

function checkPassword(password: string, username: string): void {
  const problem = passwordProblem(password, [username]);
  if (problem) throw new UserInputError('password', problem);
}

export async function createUser(
  db: Db,
  secret: string,
  input: { username: string; password: string; role: Role; actor?: string },
  now = Date.now(),
): Promise<User> {
  if (!USERNAME_RE.test(input.username))
    throw new UserInputError('username', 'username: 1-64 letters, digits, ".", "_", "@" or "-"');
  checkPassword(input.password, input.username);
  if (!isRole(input.role)) throw new UserInputError('role', `role must be one of ${ROLES.join(', ')}`);
  if (await getUserByUsername(db, input.username))
    throw new UserInputError('username', `user ${input.username} already exists`);
  const hash = await hashPassword(secret, input.password);
  return db.tx(async (tx) => {
    const r = await tx.run(
      'INSERT INTO users (username, password_hash, role, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?)',
      [input.username, hash, input.role, now, now],
    );
    await auditAccount(tx, {
      actor: input.actor ?? 'cli',
      action: 'user-created',
      username: input.username,
      detail: `role ${input.role}`,
      at: now,
    });
    return { id: r.lastInsertId, username: input.username, role: input.role };
  });
}

export interface UserSummary extends User {
  disabled: boolean;
  passwordChangedAt: number | null;
}

export async function listUserSummaries(db: Db): Promise<UserSummary[]> {
  const rows = await db.all<UserRow & { password_changed_at: number | null }>(
    'SELECT id, username, role, disabled_at, password_changed_at FROM users ORDER BY username',
  );
  return rows.map((r) => ({
    ...toUser(r),
    disabled: r.disabled_at !== null,
    passwordChangedAt: r.password_changed_at === null ? null : Number(r.password_changed_at),
  }));
}

/**
 * Sets a new password (policy-checked) and ends the user's sessions: after a change every other
 * session, after an admin's reset all of them (ASVS 3.3.3). Audited as `action`.
 */
export async function setPassword(
  db: Db,
  secret: string,
  input: {
    username: string;
    password: string;
    actor: string;
    action: Extract<AccountAction, 'password-changed' | 'password-reset'>;
    keepSessionOf?: string;
    clientIp?: string;
  },
  now = Date.now(),
): Promise<void> {
  const user = await getUserByUsername(db, input.username);
  if (!user) throw new UserInputError('username', `no user ${input.username}`);
  checkPassword(input.password, input.username);
  const hash = await hashPassword(secret, input.password);
  await db.tx(async (tx) => {
    await tx.run('UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?', [
      hash,
      now,
      user.id,
    ]);
    const keep = input.keepSessionOf ? keyedHash(secret, input.keepSessionOf) : '';
    await tx.run('DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?', [user.id, keep]);
    await auditAccount(tx, {
      actor: input.actor,
      action: input.action,
      username: input.username,
      at: now,
      ...(input.clientIp ? { clientIp: input.clientIp } : {}),
    });
  });
}

/** The user's own change: the current password must be right (checked like a sign-in). */
export async function changeOwnPassword(
  db: Db,
  secret: string,
  input: { username: string; current: string; password: string; session: string; clientIp?: string },
  now = Date.now(),
): Promise<void> {
  if (!(await authenticate(db, secret, input.username, input.current)))
    throw new UserInputError('current', 'the current password is not right');
  if (input.current === input.password)
    throw new UserInputError('password', 'the new password must differ from the current one');
  await setPassword(
    db,
    secret,
    {
      username: input.username,
      password: input.password,
      actor: input.username,
      action: 'password-changed',
      keepSessionOf: input.session,
      ...(input.clientIp ? { clientIp: input.clientIp } : {}),
    },
    now,
  );
}

/** Disables (no sign-in, no session, no API token works) or enables an account. */
export async function setUserDisabled(
  db: Db,
  input: { username: string; disabled: boolean; actor: string },
  now = Date.now(),
): Promise<void> {
  const user = await getUserByUsername(db, input.username);
  if (!user) throw new UserInputError('username', `no user ${input.username}`);
  if (input.disabled && input.actor === input.username)
    throw new UserInputError('username', 'you cannot disable your own account');
  await db.tx(async (tx) => {
    await tx.run('UPDATE users SET disabled_at = ? WHERE id = ?', [input.disabled ? now : null, user.id]);
    if (input.disabled) await tx.run('DELETE FROM sessions WHERE user_id = ?', [user.id]);
    await auditAccount(tx, {
      actor: input.actor,
      action: input.disabled ? 'user-disabled' : 'user-enabled',
      username: input.username,
      at: now,
    });
  });
}

interface UserRow {
  id: number;
  username: string;
  role: string;
  password_hash: string;
  disabled_at: number | null;
}

function toUser(r: { id: number | string; username: string; role: string }): User {
  return { id: Number(r.id), username: r.username, role: isRole(r.role) ? r.role : 'clinician' };
}

export async function getUserByUsername(db: Db, username: string): Promise<User | undefined> {
  const r = await db.get<UserRow>('SELECT id, username, role FROM users WHERE username = ?', [username]);
  return r ? toUser(r) : undefined;
}

export async function listUsers(db: Db): Promise<User[]> {
  const rows = await db.all<UserRow>('SELECT id, username, role FROM users ORDER BY username');
  return rows.map(toUser);
}

/** The user when the password matches an enabled account; same work whether or not the name exists. */
export async function authenticate(
  db: Db,
  secret: string,
  username: string,
  password: string,
): Promise<User | undefined> {
  const r = await db.get<UserRow>(
    'SELECT id, username, role, password_hash, disabled_at FROM users WHERE username = ?',
    [username],
  );
  if (!r) {
    dummyHash ??= hashPassword(secret, randomToken(12));
    await verifyPassword(secret, password, await dummyHash);
    return undefined;
  }
  const ok = await verifyPassword(secret, password, r.password_hash);
  return ok && r.disabled_at === null ? toUser(r) : undefined;
}

// ---- sessions ----

export interface Session {
  user: User;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
}

/** ASVS 4.0 §3.3.2 at level 2: re-authentication after 30 minutes idle, and at least every 12 hours. */
export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const SESSION_MAX_MS = 12 * 60 * 60 * 1000;

/** Creates a session; returns the raw id for the cookie (only its keyed hash is stored). */
export async function createSession(
  db: Db,
  secret: string,
  userId: number,
  now: number,
): Promise<{ id: string; csrfToken: string; expiresAt: number }> {
  const id = randomToken(32);
  const csrfToken = randomToken(24);
  const expiresAt = now + SESSION_IDLE_MS;
  await db.run(
    'INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)',
    [keyedHash(secret, id), userId, csrfToken, now, expiresAt, now],
  );
  return { id, csrfToken, expiresAt };
}

/**
 * The live session for a cookie value, or undefined. Sliding idle expiry, capped at SESSION_MAX_MS
 * after login; the row is refreshed at most once a minute so reads stay cheap.
 */
export async function getSession(
  db: Db,
  secret: string,
  id: string,
  now: number,
): Promise<Session | undefined> {
  const idHash = keyedHash(secret, id);
  const r = await db.get<{
    user_id: number;
    username: string;
    role: string;
    csrf_token: string;
    created_at: number;
    expires_at: number;
    last_seen_at: number;
    disabled_at: number | null;
  }>(
    `SELECT s.user_id, u.username, u.role, s.csrf_token, s.created_at, s.expires_at, s.last_seen_at, u.disabled_at
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`,
    [idHash],
  );
  if (!r || r.disabled_at !== null) return undefined;
  const expiresAt = Number(r.expires_at);
  if (expiresAt <= now) return undefined;
  const createdAt = Number(r.created_at);
  let lastSeenAt = Number(r.last_seen_at);
  let newExpiry = expiresAt;
  if (now - lastSeenAt > 60_000) {
    newExpiry = Math.min(now + SESSION_IDLE_MS, createdAt + SESSION_MAX_MS);
    lastSeenAt = now;
    await db.run('UPDATE sessions SET expires_at = ?, last_seen_at = ? WHERE id_hash = ?', [
      newExpiry,
      now,
      idHash,
    ]);
  }
  return {
    user: toUser({ id: r.user_id, username: r.username, role: r.role }),
    csrfToken: r.csrf_token,
    createdAt,
    expiresAt: newExpiry,
    lastSeenAt,
  };
}

export async function deleteSession(db: Db, secret: string, id: string): Promise<void> {
  await db.run('DELETE FROM sessions WHERE id_hash = ?', [keyedHash(secret, id)]);
}

export async function purgeExpiredSessions(db: Db, now: number): Promise<number> {
  return (await db.run('DELETE FROM sessions WHERE expires_at <= ?', [now])).changes;
}

// ---- API tokens ----

export const API_TOKEN_PREFIX = 'vgl_';
export const TOKEN_SCOPES = ['read-only', 'read-write'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];
export const TOKEN_DEFAULT_DAYS = 90;
export const TOKEN_MAX_DAYS = 365;
const DAY_MS = 24 * 60 * 60 * 1000;

export function isTokenScope(v: unknown): v is TokenScope {
  return typeof v === 'string' && (TOKEN_SCOPES as readonly string[]).includes(v);
}

/** Creates an API token for a user; the raw token is returned once and never stored. */
export async function createApiToken(
  db: Db,
  secret: string,
  input: { userId: number; label: string; scope?: TokenScope; days?: number; actor?: string },
  now = Date.now(),
): Promise<{ id: number; token: string; expiresAt: number; scope: TokenScope }> {
  const scope = input.scope ?? 'read-only';
  if (!isTokenScope(scope))
    throw new UserInputError('scope', `scope must be one of ${TOKEN_SCOPES.join(', ')}`);
  const days = input.days ?? TOKEN_DEFAULT_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > TOKEN_MAX_DAYS)
    throw new UserInputError('days', `a token lasts 1-${TOKEN_MAX_DAYS} days`);
  const token = API_TOKEN_PREFIX + randomToken(32);
  const expiresAt = now + days * DAY_MS;
  const label = input.label.slice(0, 128);
  return db.tx(async (tx) => {
    const user = await tx.get<{ username: string }>('SELECT username FROM users WHERE id = ?', [
      input.userId,
    ]);
    if (!user) throw new UserInputError('user', `no user with id ${input.userId}`);
    const r = await tx.run(
      'INSERT INTO api_tokens (user_id, token_hash, label, created_at, expires_at, scope) VALUES (?, ?, ?, ?, ?, ?)',
      [input.userId, keyedHash(secret, token), label, now, expiresAt, scope],
    );
    await auditAccount(tx, {
      actor: input.actor ?? 'cli',
      action: 'token-created',
      username: user.username,
      detail: `token ${r.lastInsertId} "${label}" ${scope}, expires ${new Date(expiresAt).toISOString()}`,
      at: now,
    });
    return { id: r.lastInsertId, token, expiresAt, scope };
  });
}

export interface ApiTokenInfo {
  id: number;
  username: string;
  label: string;
  scope: TokenScope;
  createdAt: number;
  /** null: a token from before expiry existed; it never expires until revoked. */
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export async function listApiTokens(db: Db, opts: { username?: string } = {}): Promise<ApiTokenInfo[]> {
  const rows = await db.all<{
    id: number;
    username: string;
    label: string;
    scope: string;
    created_at: number;
    expires_at: number | null;
    last_used_at: number | null;
    revoked_at: number | null;
  }>(
    `SELECT t.id, u.username, t.label, t.scope, t.created_at, t.expires_at, t.last_used_at, t.revoked_at
     FROM api_tokens t JOIN users u ON u.id = t.user_id ${opts.username ? 'WHERE u.username = ?' : ''} ORDER BY t.id`,
    opts.username ? [opts.username] : [],
  );
  const n = (v: number | null) => (v === null ? null : Number(v));
  return rows.map((r) => ({
    id: Number(r.id),
    username: r.username,
    label: r.label,
    scope: isTokenScope(r.scope) ? r.scope : 'read-only',
    createdAt: Number(r.created_at),
    expiresAt: n(r.expires_at),
    lastUsedAt: n(r.last_used_at),
    revokedAt: n(r.revoked_at),
  }));
}

export type TokenUser = User & { scope: TokenScope };

export async function userForApiToken(
  db: Db,
  secret: string,
  token: string,
  now: number,
): Promise<TokenUser | undefined> {
  if (!token.startsWith(API_TOKEN_PREFIX)) return undefined;
  const hash = keyedHash(secret, token);
  const r = await db.get<
    UserRow & { token_id: number; last_used_at: number | null; expires_at: number | null; scope: string }
  >(
    `SELECT u.id, u.username, u.role, u.disabled_at, t.id AS token_id, t.last_used_at, t.expires_at, t.scope
     FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL`,
    [hash],
  );
  if (!r || r.disabled_at !== null) return undefined;
  if (r.expires_at !== null && Number(r.expires_at) <= now) return undefined;
  if (r.last_used_at === null || now - Number(r.last_used_at) > 60_000)
    await db.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [now, r.token_id]);
  return { ...toUser(r), scope: isTokenScope(r.scope) ? r.scope : 'read-only' };
}

export async function revokeApiToken(db: Db, tokenId: number, now: number, actor = 'cli'): Promise<boolean> {
  return db.tx(async (tx) => {
    const t = await tx.get<{ username: string; label: string }>(
      'SELECT u.username, t.label FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ? AND t.revoked_at IS NULL',
      [tokenId],
    );
    if (!t) return false;
    await tx.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ?', [now, tokenId]);
    await auditAccount(tx, {
      actor,
      action: 'token-revoked',
      username: t.username,
      detail: `token ${tokenId} "${t.label}"`,
      at: now,
    });
    return true;
  });
}
