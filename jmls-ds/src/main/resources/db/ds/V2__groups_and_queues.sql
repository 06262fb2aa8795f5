-- Delivery Service schema v2: groups with their ordering state, handshake log, per-device queues (RFC 9750 §5.2).
CREATE TABLE ds_groups (
  group_id          BYTEA PRIMARY KEY,
  epoch             BIGINT NOT NULL,
  public_handshakes INTEGER NOT NULL,
  external_joins    INTEGER NOT NULL,
  group_info        BYTEA NOT NULL,
  next_log_seq      BIGINT NOT NULL,
  created_at        BIGINT NOT NULL
);

CREATE TABLE ds_group_members (
  group_id   BYTEA NOT NULL REFERENCES ds_groups (group_id),
  client_id  TEXT NOT NULL REFERENCES ds_clients (client_id),
  PRIMARY KEY (group_id, client_id)
);
CREATE INDEX ds_group_members_client ON ds_group_members (client_id);

CREATE TABLE ds_group_log (
  group_id   BYTEA NOT NULL REFERENCES ds_groups (group_id),
  seq        BIGINT NOT NULL,
  epoch      BIGINT NOT NULL,
  kind       INTEGER NOT NULL,
  sender     TEXT NOT NULL,
  message    BYTEA NOT NULL,
  PRIMARY KEY (group_id, seq)
);

CREATE TABLE ds_queue_heads (
  client_id  TEXT PRIMARY KEY REFERENCES ds_clients (client_id),
  next_seq   BIGINT NOT NULL
);

CREATE TABLE ds_queue (
  client_id    TEXT NOT NULL,
  seq          BIGINT NOT NULL,
  group_id     BYTEA NOT NULL,
  kind         INTEGER NOT NULL,
  message      BYTEA NOT NULL,
  enqueued_at  BIGINT NOT NULL,
  PRIMARY KEY (client_id, seq)
);
