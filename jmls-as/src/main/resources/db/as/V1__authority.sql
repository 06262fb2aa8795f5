-- Authentication Service schema v1 (RFC 9750 §4): root, accounts, invites, certificates, audit log.
CREATE TABLE as_root (
  id           INTEGER PRIMARY KEY,
  private_key  BYTEA NOT NULL,
  certificate  BYTEA NOT NULL,
  created_at   BIGINT NOT NULL
);

CREATE TABLE as_accounts (
  user_id     TEXT PRIMARY KEY,
  created_at  BIGINT NOT NULL
);

CREATE TABLE as_invites (
  code_hash   BYTEA PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES as_accounts (user_id),
  expires_at  BIGINT NOT NULL,
  used        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE as_certificates (
  serial         TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL REFERENCES as_accounts (user_id),
  device_id      TEXT NOT NULL,
  signature_key  BYTEA NOT NULL,
  not_after      BIGINT NOT NULL,
  revoked_at     BIGINT,
  der            BYTEA NOT NULL
);
CREATE INDEX as_certificates_user ON as_certificates (user_id);

CREATE TABLE as_audit (
  seq     BIGINT PRIMARY KEY,
  at      BIGINT NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  detail  TEXT NOT NULL
);
