-- The DS keeps each public-handshake group's ratchet tree (issue 14, draft-ietf-mls-ratchet-tree-options):
-- a checkpoint (the GroupInfo as uploaded and the tree) at creation and every few epochs; any recent
-- epoch's tree is the newest checkpoint before it with the handshake log replayed on top.
CREATE TABLE ds_tree_checkpoints (
  group_id    BYTEA NOT NULL,
  epoch       BIGINT NOT NULL,
  group_info  BYTEA NOT NULL,
  tree        BYTEA NOT NULL,
  PRIMARY KEY (group_id, epoch)
);

-- Encrypted-handshake groups: the DS cannot read commits, so each commit's committer uploads what it
-- changed in the tree (TreeChanges); the DS checks it against the signed tree hash and keeps it here.
CREATE TABLE ds_tree_changes (
  group_id  BYTEA NOT NULL,
  epoch     BIGINT NOT NULL,
  changes   BYTEA NOT NULL,
  PRIMARY KEY (group_id, epoch)
);
