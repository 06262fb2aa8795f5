-- Application messages stored once per group and referenced from each recipient's queue row
-- (before: a copy per recipient). Queue rows with a message_id carry an empty message.
CREATE TABLE ds_messages (
  id          BIGINT PRIMARY KEY,
  group_id    BYTEA NOT NULL,
  message     BYTEA NOT NULL,
  enqueued_at BIGINT NOT NULL
);

ALTER TABLE ds_queue ADD COLUMN message_id BIGINT;
