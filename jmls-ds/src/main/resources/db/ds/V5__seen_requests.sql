-- Signed requests already accepted, for refusing replays within the timestamp window (shared by every
-- DS node on one database). The key is a hash of the request's signature; rows expire with the window.
CREATE TABLE ds_seen_requests (
  request_hash  BYTEA PRIMARY KEY,
  expires_at    BIGINT NOT NULL
);
CREATE INDEX ds_seen_requests_expiry ON ds_seen_requests (expires_at);
