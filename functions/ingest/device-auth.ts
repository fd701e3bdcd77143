// Bearer token -> device. Lookups are cached briefly: a hot ingest path must not query storage per
// request, and a revoked token stops working within CACHE_MS.

import { ProblemError } from '../../http/problem.ts';
import type { Db } from '../../storage/db.ts';
import { type Device, deviceForToken } from '../../storage/patients-store.ts';

const CACHE_MS = 10_000;
const MAX_ENTRIES = 10_000;

export class DeviceAuthenticator {
  readonly #cache = new Map<string, { device: Device | undefined; until: number }>();
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(authorization: string | undefined): Promise<Device> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m)
      throw new ProblemError(
        401,
        'send the device token as "Authorization: Bearer <token>"',
        [{ pointer: 'header:authorization', detail: 'missing or not a Bearer token' }],
        { headers: { 'www-authenticate': 'Bearer realm="vigil-ingest"' } },
      );
    const token = m[1]!;
    const now = this.now();
    let hit = this.#cache.get(token);
    if (!hit || hit.until < now) {
      hit = { device: await deviceForToken(this.db, token), until: now + CACHE_MS };
      if (this.#cache.size >= MAX_ENTRIES) this.#cache.clear();
      this.#cache.set(token, hit);
    }
    if (!hit.device)
      throw new ProblemError(
        401,
        'unknown or revoked device token',
        [{ pointer: 'header:authorization', detail: 'token not recognised' }],
        { headers: { 'www-authenticate': 'Bearer realm="vigil-ingest", error="invalid_token"' } },
      );
    return hit.device;
  }
}
