package org.jmls.client;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * A client's local store: one SQLite file, every value encrypted at rest with AES-256-GCM (the
 * entry's name is the associated data, so values cannot be swapped between entries). The key comes
 * from a passphrase through Argon2id (memory-hard; 64 MiB, 3 passes) or from a 32-byte key file.
 * Writes of several entries are one SQLite transaction: a crash leaves the old or the new state,
 * never a mix.
 */
public final class ClientStore implements AutoCloseable {
  private static final byte[] CHECK = "jmls client store v1".getBytes(StandardCharsets.US_ASCII);
  private final Connection db;
  private final byte[] key;
  private final SecureRandom random = new SecureRandom();

  /** A store that cannot be opened: wrong passphrase or key, or a damaged file. */
  public static final class StoreException extends Exception {
    private static final long serialVersionUID = 1L;

    public StoreException(String message) {
      super(message);
    }
  }

  private ClientStore(Connection db, byte[] key) {
    this.db = db;
    this.key = key;
  }

  /** Opens (or creates) the store at {@code file}, the key derived from {@code passphrase}. */
  public static ClientStore open(Path file, char[] passphrase) throws SQLException, StoreException {
    return open(file, passphrase, null);
  }

  /** Opens (or creates) the store at {@code file} with a raw 32-byte key (from a key file). */
  public static ClientStore openWithKey(Path file, byte[] key) throws SQLException, StoreException {
    if (key.length != 32) {
      throw new StoreException("a store key file holds exactly 32 bytes");
    }
    return open(file, null, key.clone());
  }

  private static ClientStore open(Path file, char[] passphrase, byte[] rawKey) throws SQLException, StoreException {
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode = WAL");
      s.execute("PRAGMA synchronous = FULL");
      s.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL)");
      s.execute("CREATE TABLE IF NOT EXISTS entries (name TEXT PRIMARY KEY, nonce BLOB NOT NULL, value BLOB NOT NULL)");
    }
    byte[] salt = meta(c, "salt");
    if (salt == null) {
      salt = new byte[16];
      new SecureRandom().nextBytes(salt);
      putMeta(c, "salt", salt);
    }
    byte[] key = rawKey != null ? rawKey : argon2(passphrase, salt);
    ClientStore store = new ClientStore(c, key);
    byte[] check = store.get("__check");
    if (check == null) {
      store.putAll(Map.of("__check", CHECK));
    } else if (!Arrays.equals(check, CHECK)) {
      c.close();
      throw new StoreException("the store does not open with this passphrase or key");
    }
    return store;
  }

  private static byte[] argon2(char[] passphrase, byte[] salt) {
    Argon2BytesGenerator gen = new Argon2BytesGenerator();
    gen.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id).withSalt(salt).withMemoryAsKB(64 * 1024)
        .withIterations(3).withParallelism(1).build());
    byte[] out = new byte[32];
    byte[] pw = new String(passphrase).getBytes(StandardCharsets.UTF_8);
    gen.generateBytes(pw, out);
    Arrays.fill(pw, (byte) 0);
    return out;
  }

  private static byte[] meta(Connection c, String name) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT value FROM meta WHERE name = ?")) {
      q.setString(1, name);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getBytes(1) : null;
      }
    }
  }

  private static void putMeta(Connection c, String name, byte[] value) throws SQLException {
    try (PreparedStatement ins = c.prepareStatement("INSERT INTO meta (name, value) VALUES (?, ?)")) {
      ins.setString(1, name);
      ins.setBytes(2, value);
      ins.executeUpdate();
    }
  }

  private Cipher cipher(int mode, String name, byte[] nonce) throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
    c.updateAAD(name.getBytes(StandardCharsets.UTF_8));
    return c;
  }

  /** Writes every entry of {@code values} (null deletes) in one transaction. */
  public synchronized void putAll(Map<String, byte[]> values) throws SQLException {
    db.setAutoCommit(false);
    try {
      for (Map.Entry<String, byte[]> e : values.entrySet()) {
        if (e.getValue() == null) {
          try (PreparedStatement d = db.prepareStatement("DELETE FROM entries WHERE name = ?")) {
            d.setString(1, e.getKey());
            d.executeUpdate();
          }
          continue;
        }
        byte[] nonce = new byte[12];
        random.nextBytes(nonce);
        byte[] ct;
        try {
          ct = cipher(Cipher.ENCRYPT_MODE, e.getKey(), nonce).doFinal(e.getValue());
        } catch (GeneralSecurityException ex) {
          throw new IllegalStateException(ex);
        }
        try (PreparedStatement up = db.prepareStatement(
            "INSERT INTO entries (name, nonce, value) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET nonce = excluded.nonce, value = excluded.value")) {
          up.setString(1, e.getKey());
          up.setBytes(2, nonce);
          up.setBytes(3, ct);
          up.executeUpdate();
        }
      }
      db.commit();
    } catch (SQLException | RuntimeException e) {
      db.rollback();
      throw e;
    } finally {
      db.setAutoCommit(true);
    }
  }

  /** The decrypted value of {@code name}, or null; fails if the entry was tampered with. */
  public synchronized byte[] get(String name) throws SQLException, StoreException {
    try (PreparedStatement q = db.prepareStatement("SELECT nonce, value FROM entries WHERE name = ?")) {
      q.setString(1, name);
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        try {
          return cipher(Cipher.DECRYPT_MODE, name, rs.getBytes(1)).doFinal(rs.getBytes(2));
        } catch (GeneralSecurityException e) {
          throw new StoreException("store entry '" + name + "' does not decrypt: wrong key or damaged file");
        }
      }
    }
  }

  /** Names of the stored entries starting with {@code prefix}. */
  public synchronized java.util.List<String> names(String prefix) throws SQLException {
    java.util.List<String> out = new java.util.ArrayList<>();
    try (PreparedStatement q = db.prepareStatement("SELECT name FROM entries WHERE name LIKE ? ORDER BY name")) {
      q.setString(1, prefix.replace("%", "\\%") + "%");
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  @Override
  public synchronized void close() throws SQLException {
    Arrays.fill(key, (byte) 0);
    db.close();
  }
}
