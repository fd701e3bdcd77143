// Dashboard accounts: users with scrypt password hashes, server-side sessions, hashed API tokens and
// login attempts. Every credential is stored only as a keyed hash (HMAC with the deployment secret),
// so a leaked table is not a list of working sessions or tokens.

import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { getConfig } from '../config/env.ts';
import type { Db } from './db.ts';

export const ROLES = ['clinician', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: number;
  username: string;
  role: Role;
}

export const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const MIN_PASSWORD_LENGTH = 10;

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

export async function createUser(
  db: Db,
  secret: string,
  input: { username: string; password: string; role: Role },
  now = Date.now(),
): Promise<User> {
  if (!USERNAME_RE.test(input.username))
    throw new UserInputError('username', 'username: 1-64 letters, digits, ".", "_", "@" or "-"');
  if (input.password.length < MIN_PASSWORD_LENGTH)
    throw new UserInputError('password', `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (!isRole(input.role)) throw new UserInputError('role', `role must be one of ${ROLES.join(', ')}`);
  if (await getUserByUsername(db, input.username))
    throw new UserInputError('username', `user ${input.username} already exists`);
  const hash = await hashPassword(secret, input.password);
  const r = await db.run(
    'INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)',
    [input.username, hash, input.role, now],
  );
  return { id: r.lastInsertId, username: input.username, role: input.role };
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

export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
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

/** Creates an API token for a user; the raw token is returned once and never stored. */
export async function createApiToken(
  db: Db,
  secret: string,
  input: { userId: number; label: string },
  now = Date.now(),
): Promise<{ id: number; token: string }> {
  const token = API_TOKEN_PREFIX + randomToken(32);
  const r = await db.run(
    'INSERT INTO api_tokens (user_id, token_hash, label, created_at) VALUES (?, ?, ?, ?)',
    [input.userId, keyedHash(secret, token), input.label.slice(0, 128), now],
  );
  return { id: r.lastInsertId, token };
}

export async function userForApiToken(
  db: Db,
  secret: string,
  token: string,
  now: number,
): Promise<User | undefined> {
  if (!token.startsWith(API_TOKEN_PREFIX)) return undefined;
  const hash = keyedHash(secret, token);
  const r = await db.get<UserRow & { token_id: number; last_used_at: number | null }>(
    `SELECT u.id, u.username, u.role, u.disabled_at, t.id AS token_id, t.last_used_at FROM api_tokens t
     JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL`,
    [hash],
  );
  if (!r || r.disabled_at !== null) return undefined;
  if (r.last_used_at === null || now - Number(r.last_used_at) > 60_000)
    await db.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [now, r.token_id]);
  return toUser(r);
}

export async function revokeApiToken(db: Db, tokenId: number, now: number): Promise<boolean> {
  return (
    (await db.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [now, tokenId]))
      .changes > 0
  );
}

// ---- login attempts ----

export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
export const LOGIN_MAX_FAILURES = 5;

/** Attempts are keyed by a keyed hash of username+IP, so the table holds no addresses or names. */
export function attemptKey(secret: string, username: string, ip: string): string {
  return keyedHash(secret, `login|${username.toLowerCase()}|${ip}`);
}

export async function recordLoginAttempt(db: Db, key: string, at: number, success: boolean): Promise<void> {
  await db.run('INSERT INTO login_attempts (key_hash, at, success) VALUES (?, ?, ?)', [
    key,
    at,
    success ? 1 : 0,
  ]);
}

/**
 * Failures for this key inside the window since its last success; when the limit is reached, the
 * time at which the oldest counted failure leaves the window (the caller's Retry-After).
 */
export async function loginThrottle(
  db: Db,
  key: string,
  now: number,
): Promise<{ failures: number; retryAt: number | undefined }> {
  const since = now - LOGIN_WINDOW_MS;
  const rows = await db.all<{ at: number; success: number }>(
    'SELECT at, success FROM login_attempts WHERE key_hash = ? AND at > ? ORDER BY at DESC, id DESC LIMIT 50',
    [key, since],
  );
  const failures: number[] = [];
  for (const r of rows) {
    if (Number(r.success) === 1) break;
    failures.push(Number(r.at));
  }
  const retryAt =
    failures.length >= LOGIN_MAX_FAILURES ? failures[LOGIN_MAX_FAILURES - 1]! + LOGIN_WINDOW_MS : undefined;
  return { failures: failures.length, retryAt };
}

export async function purgeLoginAttempts(db: Db, before: number): Promise<number> {
  return (await db.run('DELETE FROM login_attempts WHERE at < ?', [before])).changes;
}
