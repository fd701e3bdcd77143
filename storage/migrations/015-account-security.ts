// Migration 15: account security. Sign-in throttling moves from counting login_attempts rows (read,
// then check, then insert: 40 parallel attempts all passed the read) to one row per throttle key
// claimed by a conditional UPDATE; API tokens get an expiry and a scope; users record when their
// password last changed; account changes get an audit log.
import { type Migration, mysqlTable } from './migration.ts';

export const accountSecurityMigration: Migration = {
  id: 15,
  name: 'account security: login_throttle, api token expiry and scope, account_audit',
  sqlite: [
    `CREATE TABLE login_throttle (
      key_hash VARCHAR(64) PRIMARY KEY,
      failures INTEGER NOT NULL,
      next_at BIGINT NOT NULL,
      busy_until BIGINT NOT NULL,
      updated_at BIGINT NOT NULL
    )`,
    'DROP TABLE login_attempts',
    'ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT',
    "ALTER TABLE api_tokens ADD COLUMN scope VARCHAR(16) NOT NULL DEFAULT 'read-write'",
    'ALTER TABLE users ADD COLUMN password_changed_at BIGINT',
    `CREATE TABLE account_audit (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at BIGINT NOT NULL,
      actor VARCHAR(64) NOT NULL,
      action VARCHAR(32) NOT NULL,
      username VARCHAR(64) NOT NULL,
      detail VARCHAR(255) NOT NULL,
      client_ip VARCHAR(64)
    )`,
    'CREATE INDEX account_audit_user ON account_audit(username, id)',
  ],
  mysql: [
    mysqlTable(`CREATE TABLE login_throttle (
      key_hash VARCHAR(64) PRIMARY KEY,
      failures INT NOT NULL,
      next_at BIGINT NOT NULL,
      busy_until BIGINT NOT NULL,
      updated_at BIGINT NOT NULL
    )`),
    'DROP TABLE login_attempts',
    'ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT NULL',
    "ALTER TABLE api_tokens ADD COLUMN scope VARCHAR(16) NOT NULL DEFAULT 'read-write'",
    'ALTER TABLE users ADD COLUMN password_changed_at BIGINT NULL',
    mysqlTable(`CREATE TABLE account_audit (
      id BIGINT AUTO_INCREMENT PRIMARY KEY,
      at BIGINT NOT NULL,
      actor VARCHAR(64) NOT NULL,
      action VARCHAR(32) NOT NULL,
      username VARCHAR(64) NOT NULL,
      detail VARCHAR(255) NOT NULL,
      client_ip VARCHAR(64) NULL,
      INDEX account_audit_user (username, id)
    )`),
  ],
};
