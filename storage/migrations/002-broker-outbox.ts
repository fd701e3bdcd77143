import { type Migration, mysqlTable } from './migration.ts';

/** The embedded broker's durable queue: an event is acknowledged only once it and its deliveries are here. */
export const brokerOutbox: Migration = {
  id: 2,
  name: 'embedded broker outbox: accepted events and their pending deliveries',
  sqlite: [
    `CREATE TABLE broker_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, source VARCHAR(255) NOT NULL,
      id VARCHAR(255) NOT NULL, type VARCHAR(128) NOT NULL, payload BLOB NOT NULL, accepted_at BIGINT NOT NULL,
      UNIQUE(source, id))`,
    `CREATE TABLE broker_deliveries (event_seq BIGINT NOT NULL REFERENCES broker_events(seq) ON DELETE CASCADE,
      subscriber VARCHAR(128) NOT NULL, attempts INT NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL,
      last_error TEXT, PRIMARY KEY(event_seq, subscriber))`,
    `CREATE INDEX broker_deliveries_due ON broker_deliveries(next_attempt_at)`,
  ],
  mysql: [
    mysqlTable(`CREATE TABLE broker_events (seq BIGINT AUTO_INCREMENT PRIMARY KEY, source VARCHAR(255) NOT NULL,
      id VARCHAR(255) NOT NULL, type VARCHAR(128) NOT NULL, payload LONGBLOB NOT NULL, accepted_at BIGINT NOT NULL,
      UNIQUE KEY broker_events_source_id (source, id))`),
    mysqlTable(`CREATE TABLE broker_deliveries (event_seq BIGINT NOT NULL, subscriber VARCHAR(128) NOT NULL,
      attempts INT NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL, last_error TEXT NULL,
      PRIMARY KEY (event_seq, subscriber), KEY broker_deliveries_due (next_attempt_at),
      CONSTRAINT broker_deliveries_event_fk FOREIGN KEY (event_seq) REFERENCES broker_events(seq) ON DELETE CASCADE)`),
  ],
};
