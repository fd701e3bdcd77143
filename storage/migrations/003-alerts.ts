import { type Migration, mysqlTable } from './migration.ts';

// Alerts and their audit trail, clinician-set heart-rate limits and theirs.
// `open_slot` is `<patientId>/<kind>` while an alert is raised or acknowledged and NULL once cleared:
// a UNIQUE index on it lets the database itself refuse a second open alert for the same
// (patient, kind), even when two replicas race. Both SQLite and InnoDB allow many NULLs in a UNIQUE index.
// `alert_events` remembers which alert events were applied (source + id), so redelivery is a no-op.
export const alertsMigration: Migration = {
  id: 3,
  name: 'alerts: alerts, alert_audit, alert_events, patient_limits, limits_audit',
  sqlite: [
    `CREATE TABLE alerts (alert_id VARCHAR(128) PRIMARY KEY, patient_id VARCHAR(64) NOT NULL, kind VARCHAR(32) NOT NULL,
      category VARCHAR(16) NOT NULL, severity VARCHAR(16) NOT NULL, status VARCHAR(16) NOT NULL,
      evidence TEXT NOT NULL, raised_by VARCHAR(255) NOT NULL, raised_at BIGINT NOT NULL,
      acknowledged_by VARCHAR(128), acknowledged_at BIGINT, ack_note TEXT,
      cleared_by VARCHAR(128), cleared_at BIGINT, clear_reason TEXT,
      merged_count INT NOT NULL DEFAULT 0, placeholder INT NOT NULL DEFAULT 0,
      open_slot VARCHAR(100) UNIQUE, updated_at BIGINT NOT NULL)`,
    `CREATE INDEX alerts_raised ON alerts(raised_at, alert_id)`,
    `CREATE INDEX alerts_patient ON alerts(patient_id, raised_at)`,
    `CREATE INDEX alerts_status ON alerts(status, raised_at)`,
    `CREATE TABLE alert_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id VARCHAR(128) NOT NULL,
      action VARCHAR(32) NOT NULL, actor VARCHAR(255) NOT NULL, at BIGINT NOT NULL,
      from_status VARCHAR(16), to_status VARCHAR(16), note TEXT NOT NULL, event_key VARCHAR(520))`,
    `CREATE INDEX alert_audit_alert ON alert_audit(alert_id, id)`,
    `CREATE TABLE alert_events (event_key VARCHAR(520) PRIMARY KEY, alert_id VARCHAR(128) NOT NULL, applied_at BIGINT NOT NULL)`,
    `CREATE TABLE patient_limits (patient_id VARCHAR(64) PRIMARY KEY, low_bpm DOUBLE NOT NULL, high_bpm DOUBLE NOT NULL,
      updated_by VARCHAR(128) NOT NULL, updated_at BIGINT NOT NULL)`,
    `CREATE TABLE limits_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, patient_id VARCHAR(64) NOT NULL,
      prev_low_bpm DOUBLE, prev_high_bpm DOUBLE, low_bpm DOUBLE NOT NULL, high_bpm DOUBLE NOT NULL,
      actor VARCHAR(128) NOT NULL, at BIGINT NOT NULL)`,
    `CREATE INDEX limits_audit_patient ON limits_audit(patient_id, id)`,
  ],
  mysql: [
    mysqlTable(`CREATE TABLE alerts (alert_id VARCHAR(128) PRIMARY KEY, patient_id VARCHAR(64) NOT NULL,
      kind VARCHAR(32) NOT NULL, category VARCHAR(16) NOT NULL, severity VARCHAR(16) NOT NULL,
      status VARCHAR(16) NOT NULL, evidence LONGTEXT NOT NULL, raised_by VARCHAR(255) NOT NULL,
      raised_at BIGINT NOT NULL, acknowledged_by VARCHAR(128) NULL, acknowledged_at BIGINT NULL, ack_note TEXT NULL,
      cleared_by VARCHAR(128) NULL, cleared_at BIGINT NULL, clear_reason TEXT NULL,
      merged_count INT NOT NULL DEFAULT 0, placeholder INT NOT NULL DEFAULT 0,
      open_slot VARCHAR(100) NULL, updated_at BIGINT NOT NULL,
      UNIQUE KEY alerts_open_slot (open_slot), KEY alerts_raised (raised_at, alert_id),
      KEY alerts_patient (patient_id, raised_at), KEY alerts_status (status, raised_at))`),
    mysqlTable(`CREATE TABLE alert_audit (id BIGINT AUTO_INCREMENT PRIMARY KEY, alert_id VARCHAR(128) NOT NULL,
      action VARCHAR(32) NOT NULL, actor VARCHAR(255) NOT NULL, at BIGINT NOT NULL,
      from_status VARCHAR(16) NULL, to_status VARCHAR(16) NULL, note TEXT NOT NULL, event_key VARCHAR(520) NULL,
      KEY alert_audit_alert (alert_id, id))`),
    mysqlTable(`CREATE TABLE alert_events (event_key VARCHAR(520) PRIMARY KEY, alert_id VARCHAR(128) NOT NULL,
      applied_at BIGINT NOT NULL)`),
    mysqlTable(`CREATE TABLE patient_limits (patient_id VARCHAR(64) PRIMARY KEY, low_bpm DOUBLE NOT NULL,
      high_bpm DOUBLE NOT NULL, updated_by VARCHAR(128) NOT NULL, updated_at BIGINT NOT NULL)`),
    mysqlTable(`CREATE TABLE limits_audit (id BIGINT AUTO_INCREMENT PRIMARY KEY, patient_id VARCHAR(64) NOT NULL,
      prev_low_bpm DOUBLE NULL, prev_high_bpm DOUBLE NULL, low_bpm DOUBLE NOT NULL, high_bpm DOUBLE NOT NULL,
      actor VARCHAR(128) NOT NULL, at BIGINT NOT NULL, KEY limits_audit_patient (patient_id, id))`),
  ],
};
