// Sign-in throttling with growing delays (OWASP ASVS 4.0 §2.2.1), atomic across requests and replicas.
// Each key (an account, a known browser of an account, a client address) is one row; an attempt first
// claims every key it falls under with a conditional UPDATE, so none is checked before a key's delay
// has passed, and for an account (or a browser of it) only one attempt at a time; the outcome then
// sets the next delay. A client address is not exclusive: people behind one NAT sign in together. Nothing
// locks an account outright: after the free failures the delay doubles from 1 s up to a cap, and a
// browser that signed in to the account before has its own key, which strangers' failures never touch.
import type { Db } from './db.ts';

export interface ThrottleRule {
  /** Failures allowed without delay. */
  free: number;
  /** Longest delay between two checked attempts. */
  maxDelayMs: number;
  /** Only one attempt under the key is checked at a time (the account), or any number (an address). */
  exclusive: boolean;
}

export const THROTTLE_RULES = {
  account: { free: 5, maxDelayMs: 60_000, exclusive: true },
  device: { free: 10, maxDelayMs: 60_000, exclusive: true },
  address: { free: 20, maxDelayMs: 15 * 60_000, exclusive: false },
} as const satisfies Record<string, ThrottleRule>;

/** A failure streak is forgotten after this long without failures. */
export const THROTTLE_WINDOW_MS = 60 * 60_000;
/** How long a claimed key stays busy if the process dies before releasing it. */
const LEASE_MS = 10_000;

export interface ThrottleKey {
  hash: string;
  rule: ThrottleRule;
}

export function delayAfter(failures: number, rule: ThrottleRule): number {
  const over = failures - rule.free;
  return over < 0 ? 0 : Math.min(rule.maxDelayMs, 1000 * 2 ** Math.min(over, 30));
}

export type Claim = { ok: true } | { ok: false; retryAt: number };

async function claimOne(db: Db, key: ThrottleKey, now: number): Promise<Claim> {
  const verb = db.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
  await db.run(
    `${verb} INTO login_throttle (key_hash, failures, next_at, busy_until, updated_at) VALUES (?, 0, 0, 0, ?)`,
    [key.hash, now],
  );
  if (!key.rule.exclusive) {
    const row = await db.get<{ next_at: number }>('SELECT next_at FROM login_throttle WHERE key_hash = ?', [
      key.hash,
    ]);
    const next = Number(row?.next_at ?? 0);
    return next <= now ? { ok: true } : { ok: false, retryAt: next };
  }
  const got = await db.run(
    'UPDATE login_throttle SET busy_until = ? WHERE key_hash = ? AND busy_until <= ? AND next_at <= ?',
    [now + LEASE_MS, key.hash, now, now],
  );
  if (got.changes === 1) return { ok: true };
  const row = await db.get<{ next_at: number; busy_until: number }>(
    'SELECT next_at, busy_until FROM login_throttle WHERE key_hash = ?',
    [key.hash],
  );
  // Busy: another attempt is being checked right now; it ends within a second.
  const busy = Number(row?.busy_until ?? 0) > now ? now + 1000 : 0;
  return { ok: false, retryAt: Math.max(Number(row?.next_at ?? 0), busy, now + 1000) };
}

async function releaseOne(db: Db, key: ThrottleKey, now: number, outcome: 'success' | 'failure' | 'none') {
  if (outcome === 'none') {
    if (key.rule.exclusive)
      await db.run('UPDATE login_throttle SET busy_until = 0 WHERE key_hash = ?', [key.hash]);
    return;
  }
  if (!key.rule.exclusive && outcome === 'failure') {
    // Not held, so counted in one statement; the delay only ever moves later.
    await db.run(
      'UPDATE login_throttle SET failures = CASE WHEN updated_at < ? THEN 1 ELSE failures + 1 END, updated_at = ? WHERE key_hash = ?',
      [now - THROTTLE_WINDOW_MS, now, key.hash],
    );
    const row = await db.get<{ failures: number }>('SELECT failures FROM login_throttle WHERE key_hash = ?', [
      key.hash,
    ]);
    const next = now + delayAfter(Number(row?.failures ?? 0), key.rule);
    await db.run('UPDATE login_throttle SET next_at = ? WHERE key_hash = ? AND next_at < ?', [
      next,
      key.hash,
      next,
    ]);
    return;
  }
  if (outcome === 'success') {
    await db.run(
      'UPDATE login_throttle SET failures = 0, next_at = 0, busy_until = 0, updated_at = ? WHERE key_hash = ?',
      [now, key.hash],
    );
    return;
  }
  // We hold the key (or it is a success), so this read-then-write is not racing another attempt on it.
  const row = await db.get<{ failures: number; updated_at: number }>(
    'SELECT failures, updated_at FROM login_throttle WHERE key_hash = ?',
    [key.hash],
  );
  const before = row && now - Number(row.updated_at) <= THROTTLE_WINDOW_MS ? Number(row.failures) : 0;
  const failures = before + 1;
  await db.run(
    'UPDATE login_throttle SET failures = ?, next_at = ?, busy_until = 0, updated_at = ? WHERE key_hash = ?',
    [failures, now + delayAfter(failures, key.rule), now, key.hash],
  );
}

/**
 * Claims every key or none. On success the caller checks the password and then calls `release` with
 * the outcome, for each key: 'success' clears a key's streak, 'failure' lengthens its delay.
 */
export async function claimThrottle(db: Db, keys: ThrottleKey[], now: number): Promise<Claim> {
  const held: ThrottleKey[] = [];
  for (const key of keys) {
    const c = await claimOne(db, key, now);
    if (!c.ok) {
      for (const h of held) await releaseOne(db, h, now, 'none');
      return c;
    }
    held.push(key);
  }
  return { ok: true };
}

export async function releaseThrottle(
  db: Db,
  outcomes: Array<[ThrottleKey, 'success' | 'failure' | 'none']>,
  now: number,
): Promise<void> {
  for (const [key, outcome] of outcomes) await releaseOne(db, key, now, outcome);
}

/** Keys untouched for longer than the window hold nothing worth keeping. */
export async function purgeThrottle(db: Db, now: number): Promise<number> {
  return (
    await db.run('DELETE FROM login_throttle WHERE updated_at < ? AND busy_until <= ?', [
      now - THROTTLE_WINDOW_MS,
      now,
    ])
  ).changes;
}
