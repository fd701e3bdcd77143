// Migration 5: dashboard accounts — users, server-side sessions, API tokens, login attempts and the
// generated per-database secret used when VIGIL_SESSION_SECRET is not set.
import { type Migration, mysqlTable } from './migration.ts';

export const accountsMigration: Migration = {
  id: 5,
  name: 'accounts',
  sqlite: [
    `CREATE TABLE users (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      username VARCHAR(64) NOT NULL UNIQUE,
      password_hash TEXT NOT NULL,
      role VARCHAR(16) NOT NULL,
      created_at BIGINT NOT NULL,
      disabled_at BIGINT
    )`,
    `CREATE TABLE sessions (
      id_hash VARCHAR(64) PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES users(id),
      csrf_token VARCHAR(64) NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      last_seen_at BIGINT NOT NULL
    )`,
    'CREATE INDEX sessions_expires ON sessions(expires_at)',
    `CREATE TABLE api_tokens (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      user_id INTEGER NOT NULL REFERENCES users(id),
      token_hash VARCHAR(64) NOT NULL UNIQUE,
      label VARCHAR(128) NOT NULL,
      created_at BIGINT NOT NULL,
      last_used_at BIGINT,
      revoked_at BIGINT
    )`,
    `CREATE TABLE login_attempts (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      key_hash VARCHAR(64) NOT NULL,
      at BIGINT NOT NULL,
      success INTEGER NOT NULL
    )`,
    'CREATE INDEX login_attempts_key ON login_attempts(key_hash, at)',
    `CREATE TABLE app_secrets (
      name VARCHAR(64) PRIMARY KEY,
      value VARCHAR(255) NOT NULL,
      created_at BIGINT NOT NULL
    )`,
  ],
  mysql: [
    mysqlTable(`CREATE TABLE users (
      id BIGINT AUTO_INCREMENT PRIMARY KEY,
      username VARCHAR(64) NOT NULL UNIQUE,
      password_hash TEXT NOT NULL,
      role VARCHAR(16) NOT NULL,
      created_at BIGINT NOT NULL,
      disabled_at BIGINT NULL
    )`),
    mysqlTable(`CREATE TABLE sessions (
      id_hash VARCHAR(64) PRIMARY KEY,
      user_id BIGINT NOT NULL,
      csrf_token VARCHAR(64) NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT NOT NULL,
      last_seen_at BIGINT NOT NULL,
      INDEX sessions_expires (expires_at),
      FOREIGN KEY (user_id) REFERENCES users(id)
    )`),
    mysqlTable(`CREATE TABLE api_tokens (
      id BIGINT AUTO_INCREMENT PRIMARY KEY,
      user_id BIGINT NOT NULL,
      token_hash VARCHAR(64) NOT NULL UNIQUE,
      label VARCHAR(128) NOT NULL,
      created_at BIGINT NOT NULL,
      last_used_at BIGINT NULL,
      revoked_at BIGINT NULL,
      FOREIGN KEY (user_id) REFERENCES users(id)
    )`),
    mysqlTable(`CREATE TABLE login_attempts (
      id BIGINT AUTO_INCREMENT PRIMARY KEY,
      key_hash VARCHAR(64) NOT NULL,
      at BIGINT NOT NULL,
      success TINYINT NOT NULL,
      INDEX login_attempts_key (key_hash, at)
    )`),
    mysqlTable(`CREATE TABLE app_secrets (
      name VARCHAR(64) PRIMARY KEY,
      value VARCHAR(255) NOT NULL,
      created_at BIGINT NOT NULL
    )`),
  ],
};
