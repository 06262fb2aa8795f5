-- Federation, at a follower: groups hosted by another provider (the hub) in which this provider's
-- users are members; what this DS receives of them comes from that hub, what its devices post to
-- them goes to it.
CREATE TABLE ds_hosted_elsewhere (
  group_id  BYTEA PRIMARY KEY,
  hub       TEXT NOT NULL
);
-- The last entry of each hub's outbox this DS stored (a batch sent again is stored once).
CREATE TABLE ds_peer_received (
  provider  TEXT PRIMARY KEY,
  last_seq  BIGINT NOT NULL
);

-- Members of a group hosted here may be other providers' devices (ds_remote_clients), so a member
-- no longer has to be a device registered here: the table is rebuilt without that reference.
CREATE TABLE ds_group_members_any (
  group_id   BYTEA NOT NULL REFERENCES ds_groups (group_id),
  client_id  TEXT NOT NULL,
  from_seq   BIGINT NOT NULL DEFAULT 0,
  until_seq  BIGINT,
  PRIMARY KEY (group_id, client_id)
);
INSERT INTO ds_group_members_any (group_id, client_id, from_seq, until_seq)
  SELECT group_id, client_id, from_seq, until_seq FROM ds_group_members;
DROP TABLE ds_group_members;
ALTER TABLE ds_group_members_any RENAME TO ds_group_members;
CREATE INDEX ds_group_members_client ON ds_group_members (client_id);
