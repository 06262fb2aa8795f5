-- Federation (RFC 9750 §6.10): devices of other providers' users this DS learnt of by claiming
-- their KeyPackages through their provider. The signature key maps a leaf of a group's tree to the
-- device (rosters), the KeyPackage reference maps a Welcome's recipient to it (routing), and the
-- provider says where its messages go.
CREATE TABLE ds_remote_clients (
  client_id      TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL,
  provider       TEXT NOT NULL,
  signature_key  BYTEA NOT NULL,
  seen_at        BIGINT NOT NULL
);
CREATE INDEX ds_remote_clients_key ON ds_remote_clients (signature_key);

CREATE TABLE ds_remote_key_packages (
  ref            BYTEA PRIMARY KEY,
  client_id      TEXT NOT NULL REFERENCES ds_remote_clients (client_id),
  claimed_at     BIGINT NOT NULL
);
