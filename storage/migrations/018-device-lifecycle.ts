// Migration 18: devices have a lifecycle. A device is active, then either retired (taken out of service:
// its token stops working, it raises no device-silent alarm, its data stays in the record) or revoked
// (its token was lost or compromised). revoked_at already exists; retired_at is new.
import type { Migration } from './migration.ts';

export const deviceLifecycleMigration: Migration = {
  id: 18,
  name: 'device lifecycle: retired_at',
  sqlite: ['ALTER TABLE devices ADD COLUMN retired_at BIGINT'],
  mysql: ['ALTER TABLE devices ADD COLUMN retired_at BIGINT NULL'],
};
