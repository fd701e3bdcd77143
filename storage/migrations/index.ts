// Every schema change, in order. Each area adds its own file; ids never change once released.
import { core } from './001-core.ts';
import { brokerOutbox } from './002-broker-outbox.ts';
import { alertsMigration } from './003-alerts.ts';
import { accountsMigration } from './005-accounts.ts';
import { alarmLatchingMigration } from './014-alarm-latching.ts';
import { accountSecurityMigration } from './015-account-security.ts';
import { deviceLifecycleMigration } from './018-device-lifecycle.ts';
import type { Migration } from './migration.ts';

export type { Migration } from './migration.ts';

export const MIGRATIONS: Migration[] = [
  core,
  brokerOutbox,
  alertsMigration,
  accountsMigration,
  alarmLatchingMigration,
  accountSecurityMigration,
  deviceLifecycleMigration,
];
