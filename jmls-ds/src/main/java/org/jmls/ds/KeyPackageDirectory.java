package org.jmls.ds;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.MlsCrypto;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackages;
import org.jmls.message.KeyPackage;
import org.jmls.message.MlsMessage;
import org.jmls.service.Database;

/**
 * The KeyPackage directory of RFC 9750 §5.1. Uploads are validated (signature, suite, lifetime,
 * the uploader's own signature key, the credential through the services' validator). A claim hands
 * out one KeyPackage per device of a user, atomically: a one-time KeyPackage is never handed out
 * twice, even under concurrent claims on several server processes; a device's last-resort
 * KeyPackage is handed out only when it has no one-time KeyPackage left, and stays in place.
 */
public final class KeyPackageDirectory {
  /** Below this many one-time KeyPackages per suite, a device is told to upload more. */
  public static final int LOW_STOCK = 5;

  private final Database db;
  private final GroupServices services;
  private final Clock clock;

  public KeyPackageDirectory(Database db, GroupServices services) {
    this.db = db;
    this.services = services;
    this.clock = services.clock();
  }

  private long now() {
    return clock.instant().getEpochSecond();
  }

  /** A registered device: who it is and the signature key it authenticates with. */
  public record Client(String clientId, String userId, Bytes signatureKey, Bytes credential, int cipherSuite) {
    /** A client whose requests verify with the signature scheme of suite 1 (Ed25519). */
    public Client(String clientId, String userId, Bytes signatureKey, Bytes credential) {
      this(clientId, userId, signatureKey, credential, 1);
    }
  }

  /** Registers (or re-registers with the same key) a device. */
  public void register(Client c) throws SQLException, ValidationException {
    Boolean ok = db.transaction(conn -> {
      try (PreparedStatement q = conn.prepareStatement("SELECT signature_key FROM ds_clients WHERE client_id = ?")) {
        q.setString(1, c.clientId());
        try (ResultSet rs = q.executeQuery()) {
          if (rs.next()) {
            return Bytes.wrap(rs.getBytes(1)).equals(c.signatureKey());
          }
        }
      }
      try (PreparedStatement ins = conn.prepareStatement(
          "INSERT INTO ds_clients (client_id, user_id, signature_key, credential, registered_at, cipher_suite) VALUES (?, ?, ?, ?, ?, ?)")) {
        ins.setString(1, c.clientId());
        ins.setString(2, c.userId());
        ins.setBytes(3, c.signatureKey().unsafeArray());
        ins.setBytes(4, c.credential().unsafeArray());
        ins.setLong(5, now());
        ins.setInt(6, c.cipherSuite());
        ins.executeUpdate();
      }
      return true;
    });
    if (!ok) {
      throw new ValidationException("ds.client-key-mismatch", "client " + c.clientId() + " is registered with another signature key");
    }
  }

  /**
   * Registered devices already read. A registration keeps its id and key; its credential changes
   * only through {@link #updateCredential}, which drops the entry here and, through the cluster bus,
   * on every other node sharing the database.
   */
  private final Map<String, Client> clients = new java.util.concurrent.ConcurrentHashMap<>();
  private static final int CLIENT_CACHE_LIMIT = 200_000;

  /** The registered device, or null. Every signed request asks, so known devices are answered from memory. */
  public Client client(String clientId) throws SQLException {
    Client known = clients.get(clientId);
    if (known != null) {
      return known;
    }
    Client c = lookUp(clientId);
    if (c != null) {
      if (clients.size() >= CLIENT_CACHE_LIMIT) {
        clients.clear();
      }
      clients.put(clientId, c);
    }
    return c;
  }

  /**
   * Replaces a device's stored credential (after the AS renewed it); the caller has validated it
   * for the device's registered signature key.
   */
  public void updateCredential(String clientId, Bytes credential) throws SQLException {
    org.jmls.service.ClusterBus b = bus;
    db.transaction(conn -> {
      try (PreparedStatement u = conn.prepareStatement("UPDATE ds_clients SET credential = ? WHERE client_id = ?")) {
        u.setBytes(1, credential.unsafeArray());
        u.setString(2, clientId);
        u.executeUpdate();
      }
      if (b != null) {
        b.publish(conn, CLIENT_CHANGED, clientId); // every other node reads it again, once this commits
      }
      return null;
    });
    clients.remove(clientId);
  }

  static final String CLIENT_CHANGED = "ds.client-changed";
  private volatile org.jmls.service.ClusterBus bus;

  /** Other nodes share the database: a credential renewed on one is read again on every other ({@link #updateCredential}). */
  public void cluster(org.jmls.service.ClusterBus bus) {
    this.bus = bus;
    bus.on(CLIENT_CHANGED, m -> clients.remove(m.data()));
  }

  /** The device's stored credential as it is in the database now (not from the cache), or null. */
  public Bytes storedCredential(String clientId) throws SQLException {
    Client c = lookUp(clientId);
    return c == null ? null : c.credential();
  }

  private Client lookUp(String clientId) throws SQLException {
    return db.transaction(conn -> {
      try (PreparedStatement q = conn.prepareStatement(
          "SELECT user_id, signature_key, credential, cipher_suite FROM ds_clients WHERE client_id = ?")) {
        q.setString(1, clientId);
        try (ResultSet rs = q.executeQuery()) {
          return rs.next()
              ? new Client(clientId, rs.getString(1), Bytes.wrap(rs.getBytes(2)), Bytes.wrap(rs.getBytes(3)), rs.getInt(4)) : null;
        }
      }
    });
  }

  /** One KeyPackage to upload: the MLSMessage bytes and whether it is the last-resort one. */
  public record Upload(Bytes keyPackageMessage, boolean lastResort) {}

  /**
   * Most unclaimed one-time KeyPackages stored for one device (default {@value #DEFAULT_MAX_PER_DEVICE});
   * an upload that would go beyond is refused whole ({@code ds.key-package-limit}).
   */
  public static final int DEFAULT_MAX_PER_DEVICE = 1_000;
  private volatile int maxPerDevice = DEFAULT_MAX_PER_DEVICE;

  public void maxPerDevice(int n) {
    this.maxPerDevice = n;
  }

  /**
   * Validates and stores a batch, all or nothing. Every KeyPackage must be valid now and carry the
   * uploading device's signature key. Uploading a new last-resort KeyPackage for a suite replaces
   * the previous one.
   */
  public int upload(String clientId, List<Upload> batch) throws SQLException, ValidationException {
    Client c = client(clientId);
    if (c == null) {
      throw new ValidationException("ds.unknown-client", "register the device before uploading KeyPackages");
    }
    record Valid(Bytes ref, KeyPackage kp, Bytes data, boolean lastResort) {}
    List<Valid> valid = new ArrayList<>();
    long now = now();
    for (Upload u : batch) {
      KeyPackage kp;
      try {
        MlsMessage m = MlsMessage.fromBytes(u.keyPackageMessage().unsafeArray());
        if (!(m.body() instanceof KeyPackage)) {
          throw new ValidationException("ds.not-a-key-package", "an upload entry is a " + m.wireFormat());
        }
        kp = (KeyPackage) m.body();
      } catch (DecodeException e) {
        throw new ValidationException("ds.key-package-decode", "an upload entry does not decode: " + e.getMessage());
      }
      CipherSuite suite = CipherSuite.of(kp.cipherSuite());
      if (suite == null) {
        throw new ValidationException("rfc9420-10.1.cipher-suite", "unsupported cipher suite " + kp.cipherSuite());
      }
      MlsCrypto crypto = services.provider().suite(suite);
      KeyPackages.validate(crypto, services, kp, List.of(), now);
      if (!kp.leafNode().signatureKey().equals(c.signatureKey())) {
        throw new ValidationException("ds.foreign-key-package", "a device uploads only its own KeyPackages");
      }
      valid.add(new Valid(KeyPackages.ref(crypto, kp), kp, u.keyPackageMessage(), u.lastResort()));
    }
    long oneTime = valid.stream().filter(v -> !v.lastResort()).count();
    Object stored = db.transaction(conn -> {
      int held;
      try (PreparedStatement q = conn.prepareStatement(
          "SELECT COUNT(*) FROM ds_key_packages WHERE client_id = ? AND claimed = 0 AND last_resort = 0")) {
        q.setString(1, clientId);
        try (java.sql.ResultSet rs = q.executeQuery()) {
          rs.next();
          held = rs.getInt(1);
        }
      }
      if (oneTime > 0 && held + oneTime > maxPerDevice) {
        return new ValidationException("ds.key-package-limit", "this device already has " + held
            + " unclaimed KeyPackages here; " + oneTime + " more would pass the most kept for one device (" + maxPerDevice + ")");
      }
      int n = 0;
      for (Valid v : valid) {
        if (v.lastResort()) {
          try (PreparedStatement del = conn.prepareStatement(
              "DELETE FROM ds_key_packages WHERE client_id = ? AND cipher_suite = ? AND last_resort = 1")) {
            del.setString(1, clientId);
            del.setInt(2, v.kp().cipherSuite());
            del.executeUpdate();
          }
        }
        try (PreparedStatement ins = conn.prepareStatement("INSERT INTO ds_key_packages "
            + "(ref, client_id, user_id, cipher_suite, last_resort, not_after, uploaded_at, claimed, data) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)")) {
          ins.setBytes(1, v.ref().unsafeArray());
          ins.setString(2, clientId);
          ins.setString(3, c.userId());
          ins.setInt(4, v.kp().cipherSuite());
          ins.setInt(5, v.lastResort() ? 1 : 0);
          ins.setLong(6, Math.min(v.kp().leafNode().lifetime().notAfter() & Long.MAX_VALUE, Long.MAX_VALUE));
          ins.setLong(7, now);
          ins.setBytes(8, v.data().unsafeArray());
          n += ins.executeUpdate();
        }
      }
      return n;
    });
    if (stored instanceof ValidationException e) {
      throw e;
    }
    return (Integer) stored;
  }

  /** A KeyPackage handed out by a claim. */
  public record Claimed(String clientId, Bytes keyPackageMessage, boolean lastResort) {}

  /**
   * Which devices may still be handed out: a device whose credential was revoked or expired since
   * it uploaded is skipped by claims (its KeyPackages would only be refused by every member and,
   * across providers, by the adding user's provider). Asked outside any transaction.
   */
  public interface DeviceGate {
    boolean usable(String clientId) throws SQLException;
  }

  private volatile DeviceGate gate = clientId -> true;

  /** Sets the check made of each device before a claim hands out its KeyPackage. */
  public void gate(DeviceGate g) {
    this.gate = g;
  }

  /**
   * One KeyPackage for {@code suite} per device of {@code userId}: a one-time one if the device
   * has any (marked claimed in the same transaction), else its last-resort one. Devices with
   * neither, and devices the {@link #gate} refuses, are skipped.
   */
  public List<Claimed> claim(String userId, int suite) throws SQLException {
    return claimAll(List.of(userId), suite).get(userId);
  }

  /**
   * The suite a claim asks for, from its {@code cipherSuite} field: absent means suite 1; anything
   * but the number of a supported suite is refused with {@code rule}, not answered with nothing.
   */
  public static int claimedSuite(Object field, String rule) throws ValidationException {
    if (field == null) {
      return 1;
    }
    if (!(field instanceof Integer n) || org.jmls.crypto.CipherSuite.of(n) == null) {
      throw new ValidationException(rule, "cipherSuite is the number of a supported cipher suite, not " + field);
    }
    return n;
  }

  /** Most users in one batched claim. */
  public static final int MAX_BATCH_CLAIM = 10_000;

  /**
   * As {@link #claim} for each of {@code userIds} (at most {@value #MAX_BATCH_CLAIM}), in one
   * transaction: a bulk add of thousands of users claims in a few requests, not one per user.
   */
  public Map<String, List<Claimed>> claimAll(List<String> userIds, int suite) throws SQLException {
    if (userIds.size() > MAX_BATCH_CLAIM) {
      throw new IllegalArgumentException("at most " + MAX_BATCH_CLAIM + " users per claim");
    }
    long now = now();
    Map<String, List<String>> devices = db.transaction(conn -> {
      Map<String, List<String>> out = new java.util.LinkedHashMap<>();
      for (String u : userIds) {
        out.put(u, devicesOf(conn, u));
      }
      return out;
    });
    DeviceGate g = gate;
    for (Map.Entry<String, List<String>> e : devices.entrySet()) {
      List<String> usable = new ArrayList<>();
      for (String d : e.getValue()) {
        if (g.usable(d)) {
          usable.add(d);
        }
      }
      e.setValue(usable);
    }
    return db.transaction(conn -> {
      Map<String, List<Claimed>> out = new java.util.LinkedHashMap<>();
      for (Map.Entry<String, List<String>> e : devices.entrySet()) {
        List<Claimed> got = new ArrayList<>();
        for (String d : e.getValue()) {
          Claimed c = claimOneTime(conn, d, suite, now);
          if (c == null) {
            c = lastResort(conn, d, suite, now);
          }
          if (c != null) {
            got.add(c);
          }
        }
        out.put(e.getKey(), got);
      }
      return out;
    });
  }

  private static List<String> devicesOf(Connection conn, String userId) throws SQLException {
    List<String> devices = new ArrayList<>();
    try (PreparedStatement q = conn.prepareStatement("SELECT client_id FROM ds_clients WHERE user_id = ? ORDER BY client_id")) {
      q.setString(1, userId);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          devices.add(rs.getString(1));
        }
      }
    }
    return devices;
  }

  private Claimed claimOneTime(Connection conn, String device, int suite, long now) throws SQLException {
    // Optimistic: pick the oldest unclaimed one-time KeyPackage and flip claimed 0 -> 1; only the
    // transaction whose UPDATE matched hands it out (the others retry with the next one).
    for (int attempt = 0; attempt < 32; attempt++) {
      byte[] ref;
      byte[] data;
      try (PreparedStatement q = conn.prepareStatement("SELECT ref, data FROM ds_key_packages WHERE client_id = ? "
          + "AND cipher_suite = ? AND last_resort = 0 AND claimed = 0 AND not_after > ? ORDER BY uploaded_at, ref LIMIT 1")) {
        q.setString(1, device);
        q.setInt(2, suite);
        q.setLong(3, now);
        try (ResultSet rs = q.executeQuery()) {
          if (!rs.next()) {
            return null;
          }
          ref = rs.getBytes(1);
          data = rs.getBytes(2);
        }
      }
      try (PreparedStatement u = conn.prepareStatement("UPDATE ds_key_packages SET claimed = 1 WHERE ref = ? AND claimed = 0")) {
        u.setBytes(1, ref);
        if (u.executeUpdate() == 1) {
          return new Claimed(device, Bytes.wrap(data), false);
        }
      }
    }
    return null;
  }

  private Claimed lastResort(Connection conn, String device, int suite, long now) throws SQLException {
    try (PreparedStatement q = conn.prepareStatement("SELECT data FROM ds_key_packages WHERE client_id = ? "
        + "AND cipher_suite = ? AND last_resort = 1 AND not_after > ? ORDER BY uploaded_at DESC LIMIT 1")) {
      q.setString(1, device);
      q.setInt(2, suite);
      q.setLong(3, now);
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        byte[] data = rs.getBytes(1);
        try (PreparedStatement u = conn.prepareStatement(
            "UPDATE ds_key_packages SET claimed = claimed + 1 WHERE client_id = ? AND cipher_suite = ? AND last_resort = 1")) {
          u.setString(1, device);
          u.setInt(2, suite);
          u.executeUpdate();
        }
        return new Claimed(device, Bytes.wrap(data), true);
      }
    }
  }

  /** A device's stock for one suite. */
  public record Stock(int suite, int oneTimeLeft, boolean hasLastResort, int lastResortClaims) {
    /** True when the device should upload more one-time KeyPackages. */
    public boolean low() {
      return oneTimeLeft < LOW_STOCK;
    }

    /** True when its last-resort KeyPackage was handed out and should be replaced. */
    public boolean rotateLastResort() {
      return lastResortClaims > 0;
    }
  }

  /** The device's unexpired stock per suite. */
  public List<Stock> stock(String clientId) throws SQLException {
    long now = now();
    return db.transaction(conn -> {
      Map<Integer, int[]> bySuite = new LinkedHashMap<>();
      try (PreparedStatement q = conn.prepareStatement("SELECT cipher_suite, last_resort, claimed FROM ds_key_packages "
          + "WHERE client_id = ? AND not_after > ? ORDER BY cipher_suite")) {
        q.setString(1, clientId);
        q.setLong(2, now);
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            int[] s = bySuite.computeIfAbsent(rs.getInt(1), k -> new int[3]);
            if (rs.getInt(2) == 1) {
              s[1] = 1;
              s[2] += rs.getInt(3);
            } else if (rs.getInt(3) == 0) {
              s[0]++;
            }
          }
        }
      }
      List<Stock> out = new ArrayList<>();
      bySuite.forEach((suite, s) -> out.add(new Stock(suite, s[0], s[1] == 1, s[2])));
      return out;
    });
  }

  /** Deletes expired KeyPackages and claimed one-time ones; returns how many were removed. */
  public int prune() throws SQLException {
    long now = now();
    return db.transaction(conn -> {
      try (PreparedStatement d = conn.prepareStatement(
          "DELETE FROM ds_key_packages WHERE not_after <= ? OR (last_resort = 0 AND claimed = 1)")) {
        d.setLong(1, now);
        return d.executeUpdate();
      }
    });
  }

}
