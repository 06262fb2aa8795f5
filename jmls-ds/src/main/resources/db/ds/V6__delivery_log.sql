-- Delivery by log and cursor (issue 14): every message to a group is written once, to ds_log, under
-- one DS-wide sequence number; each device has one cursor (the highest sequence it acknowledged)
-- and reads the entries of its groups after it, within its membership window. ds_queue stays for
-- items addressed to one device (Welcomes) and for rows queued before this migration.
CREATE TABLE ds_sequence (
  name      TEXT PRIMARY KEY,
  next_seq  BIGINT NOT NULL
);
-- New sequence numbers start above every per-device queue sequence handed out before, so rows
-- queued earlier are delivered first and cursors keep their meaning.
INSERT INTO ds_sequence (name, next_seq) SELECT 'delivery', COALESCE(MAX(next_seq), 1) + 1 FROM ds_queue_heads;

CREATE TABLE ds_log (
  seq        BIGINT PRIMARY KEY,
  group_id   BYTEA NOT NULL,
  epoch      BIGINT NOT NULL,
  kind       INTEGER NOT NULL,
  sender     TEXT NOT NULL,
  message    BYTEA NOT NULL,
  at         BIGINT NOT NULL
);
CREATE INDEX ds_log_group ON ds_log (group_id, seq);
CREATE INDEX ds_log_at ON ds_log (at);

CREATE TABLE ds_cursors (
  client_id  TEXT PRIMARY KEY,
  acked      BIGINT NOT NULL
);

-- A device reads a group's entries with from_seq < seq <= until_seq (no upper end while a member).
-- Existing members start after everything queued before the migration.
ALTER TABLE ds_group_members ADD COLUMN from_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ds_group_members ADD COLUMN until_seq BIGINT;
UPDATE ds_group_members SET from_seq = (SELECT next_seq - 1 FROM ds_sequence WHERE name = 'delivery');

-- The last sequence written to each group (skips idle groups when reading).
ALTER TABLE ds_groups ADD COLUMN last_seq BIGINT NOT NULL DEFAULT 0;

-- Groups where retention deleted entries a device had not read (sent by others, inside its window),
-- up to which sequence: reported to the device until its cursor passes upto_seq.
CREATE TABLE ds_expired (
  client_id  TEXT NOT NULL,
  group_id   BYTEA NOT NULL,
  upto_seq   BIGINT NOT NULL,
  PRIMARY KEY (client_id, group_id)
);
