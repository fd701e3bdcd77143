// Migration 14: IEC 60601-1-8 alarms. Each alert has a priority (high | medium | low, with a numeric
// rank the lists sort on), its condition is tracked apart from its status (a physiological alarm stays
// open after the condition ends until acknowledged), and escalation is recorded. `open_slot` now names
// the device too (`patient/kind/device`), so it is widened.
import type { Migration } from './migration.ts';

const backfill = [
  `UPDATE alerts SET priority = 'high', priority_rank = 0 WHERE kind = 'seizure'`,
  `UPDATE alerts SET priority = 'low', priority_rank = 2 WHERE kind IN ('eeg-clipping', 'hr-implausible')`,
  `UPDATE alerts SET condition_active = 0, condition_ended_at = cleared_at WHERE status = 'cleared'`,
];

export const alarmLatchingMigration: Migration = {
  id: 14,
  name: 'alarm priority, latching and escalation',
  sqlite: [
    `ALTER TABLE alerts ADD COLUMN priority VARCHAR(8) NOT NULL DEFAULT 'medium'`,
    'ALTER TABLE alerts ADD COLUMN priority_rank INT NOT NULL DEFAULT 1',
    'ALTER TABLE alerts ADD COLUMN condition_active INT NOT NULL DEFAULT 1',
    'ALTER TABLE alerts ADD COLUMN condition_ended_at BIGINT',
    'ALTER TABLE alerts ADD COLUMN escalated_at BIGINT',
    ...backfill,
    'CREATE INDEX alerts_priority ON alerts(priority_rank, raised_at, alert_id)',
  ],
  mysql: [
    `ALTER TABLE alerts ADD COLUMN priority VARCHAR(8) NOT NULL DEFAULT 'medium',
      ADD COLUMN priority_rank INT NOT NULL DEFAULT 1, ADD COLUMN condition_active INT NOT NULL DEFAULT 1,
      ADD COLUMN condition_ended_at BIGINT NULL, ADD COLUMN escalated_at BIGINT NULL,
      MODIFY open_slot VARCHAR(200) NULL, ADD KEY alerts_priority (priority_rank, raised_at, alert_id)`,
    ...backfill,
  ],
};
