-- The cipher suite whose signature scheme verifies a device's signed requests.
ALTER TABLE ds_clients ADD COLUMN cipher_suite INTEGER NOT NULL DEFAULT 1;
