-- Federation, at a hub: how far each follower provider acknowledged the hub's outbox (its log).
CREATE TABLE ds_peer_cursors (
  provider  TEXT PRIMARY KEY,
  acked     BIGINT NOT NULL
);
CREATE INDEX ds_remote_clients_provider ON ds_remote_clients (provider);
