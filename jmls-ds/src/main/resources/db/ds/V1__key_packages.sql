-- Delivery Service schema v1: registered clients and the KeyPackage directory (RFC 9750 §5.1).
-- Portable between SQLite and PostgreSQL: BYTEA/BIGINT/INTEGER/TEXT only, no auto-increment.
CREATE TABLE ds_clients (
  client_id      TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL,
  signature_key  BYTEA NOT NULL,
  credential     BYTEA NOT NULL,
  registered_at  BIGINT NOT NULL
);
CREATE INDEX ds_clients_user ON ds_clients (user_id);

CREATE TABLE ds_key_packages (
  ref            BYTEA PRIMARY KEY,
  client_id      TEXT NOT NULL REFERENCES ds_clients (client_id),
  user_id        TEXT NOT NULL,
  cipher_suite   INTEGER NOT NULL,
  last_resort    INTEGER NOT NULL,
  not_after      BIGINT NOT NULL,
  uploaded_at    BIGINT NOT NULL,
  claimed        INTEGER NOT NULL DEFAULT 0,
  data           BYTEA NOT NULL
);
CREATE INDEX ds_key_packages_claim ON ds_key_packages (client_id, cipher_suite, last_resort, claimed);
CREATE INDEX ds_key_packages_expiry ON ds_key_packages (not_after);
