package org.jmls.as;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.cert.X509CertificateHolder;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.TlsWriter;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.CryptoProvider;
import org.jmls.crypto.MlsCrypto;
import org.jmls.message.Credential;
import org.jmls.service.Database;

/**
 * The Authentication Service (RFC 9750 §4): accounts created by an operator or redeemed with
 * one-time invite codes, enrolment of device signature keys (proof of possession: the request is
 * signed with the key being certified; the AS never sees private keys), revocation with a signed
 * list, and an append-only audit log of every issuance and revocation. All state is in the database.
 */
public final class AuthenticationService {
  public static final String ENROL_LABEL = "jmls AS enrolment";

  private final Database db;
  private final CryptoProvider provider;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final CertificateAuthority ca;
  private final long lifetimeSeconds;
  private final boolean developmentMode;
  private volatile String domain;

  /** Opens the AS, generating and storing its root on first start. */
  public AuthenticationService(Database db, CryptoProvider provider, Clock clock, String deploymentName, long lifetimeSeconds,
      boolean developmentMode) throws SQLException, IOException {
    this.db = db;
    this.provider = provider;
    this.clock = clock;
    this.lifetimeSeconds = lifetimeSeconds;
    this.developmentMode = developmentMode;
    byte[][] stored = db.transaction(c -> {
      try (PreparedStatement q = c.prepareStatement("SELECT private_key, certificate FROM as_root WHERE id = 1");
          ResultSet rs = q.executeQuery()) {
        return rs.next() ? new byte[][] {rs.getBytes(1), rs.getBytes(2)} : null;
      }
    });
    if (stored != null) {
      ca = CertificateAuthority.load(stored[0], stored[1], random);
    } else {
      CertificateAuthority fresh = CertificateAuthority.generate(deploymentName + " MLS root", now(), 10, random);
      byte[] cert = fresh.root().getEncoded();
      // Several nodes starting at once on one fresh PostgreSQL: one root is stored, and every node uses it.
      byte[][] kept = db.transaction(c -> {
        try (PreparedStatement ins = c.prepareStatement(
            "INSERT INTO as_root (id, private_key, certificate, created_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO NOTHING")) {
          ins.setBytes(1, fresh.privateKeyBytes());
          ins.setBytes(2, cert);
          ins.setLong(3, now());
          if (ins.executeUpdate() == 1) {
            audit(c, "system", "root-created", "subject=" + fresh.root().getSubject());
            return null;
          }
        }
        try (PreparedStatement q = c.prepareStatement("SELECT private_key, certificate FROM as_root WHERE id = 1");
            ResultSet rs = q.executeQuery()) {
          rs.next();
          return new byte[][] {rs.getBytes(1), rs.getBytes(2)};
        }
      });
      ca = kept == null ? fresh : CertificateAuthority.load(kept[0], kept[1], random);
    }
  }

  /**
   * Restricts this AS to the users of one provider domain ({@code user@domain}): a federated
   * provider speaks for its own users only, and its peers accept from it credentials of that domain
   * only. Without it (a provider alone) any domain is accepted.
   */
  public AuthenticationService domain(String providerDomain) {
    this.domain = providerDomain;
    return this;
  }

  /** The provider domain this AS issues for, or null when it is not restricted. */
  public String domain() {
    return domain;
  }

  private void checkUserId(String user) throws ValidationException {
    if (!user.matches("[^@\\s/]+@[^@\\s/]+")) {
      throw new ValidationException("as.user-id", "a user id has the form user@domain");
    }
    String d = domain;
    if (d != null && !user.endsWith("@" + d)) {
      throw new ValidationException("as.foreign-domain", "this AS issues credentials for users of " + d + " only; "
          + user + " is a user of " + user.substring(user.indexOf('@') + 1));
    }
  }

  private long now() {
    return clock.instant().getEpochSecond();
  }

  public X509CertificateHolder root() {
    return ca.root();
  }

  public boolean developmentMode() {
    return developmentMode;
  }

  private void audit(Connection c, String actor, String action, String detail) throws SQLException {
    long seq;
    try (PreparedStatement q = c.prepareStatement("SELECT COALESCE(MAX(seq), 0) + 1 FROM as_audit"); ResultSet rs = q.executeQuery()) {
      rs.next();
      seq = rs.getLong(1);
    }
    try (PreparedStatement ins = c.prepareStatement("INSERT INTO as_audit (seq, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)")) {
      ins.setLong(1, seq);
      ins.setLong(2, now());
      ins.setString(3, actor);
      ins.setString(4, action);
      ins.setString(5, detail);
      ins.executeUpdate();
    }
  }

  /** Creates an account (operator action). Idempotent. */
  public void createAccount(String user, String operator) throws SQLException, ValidationException {
    checkUserId(user);
    db.transaction(c -> {
      try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM as_accounts WHERE user_id = ?")) {
        q.setString(1, user);
        try (ResultSet rs = q.executeQuery()) {
          if (rs.next()) {
            return null;
          }
        }
      }
      try (PreparedStatement ins = c.prepareStatement("INSERT INTO as_accounts (user_id, created_at) VALUES (?, ?)")) {
        ins.setString(1, user);
        ins.setLong(2, now());
        ins.executeUpdate();
      }
      audit(c, operator, "account-created", user);
      return null;
    });
  }

  /** A one-time invite code for {@code user}, valid for {@code seconds} (operator action). */
  public String createInvite(String user, long seconds, String operator) throws SQLException, ValidationException {
    createAccount(user, operator);
    byte[] code = new byte[16];
    random.nextBytes(code);
    String text = HexFormat.of().formatHex(code);
    db.transaction(c -> {
      try (PreparedStatement ins = c.prepareStatement("INSERT INTO as_invites (code_hash, user_id, expires_at, used) VALUES (?, ?, ?, 0)")) {
        ins.setBytes(1, hash(text));
        ins.setString(2, user);
        ins.setLong(3, now() + seconds);
        ins.executeUpdate();
      }
      audit(c, operator, "invite-created", user);
      return null;
    });
    return text;
  }

  private byte[] hash(String code) {
    return provider.hash(org.jmls.crypto.HashAlgorithm.SHA256, code.getBytes(StandardCharsets.UTF_8));
  }

  /** EnrolTBS: what a device signs to prove possession of the key it asks to certify. */
  public static byte[] enrolTbs(String user, String device, int suite, Bytes signatureKey, long timestampMillis) {
    return new TlsWriter().opaque(user.getBytes(StandardCharsets.UTF_8)).opaque(device.getBytes(StandardCharsets.UTF_8))
        .u16(suite).opaque(signatureKey).u64(timestampMillis).toByteArray();
  }

  /** An enrolment request. Exactly one of invite code and operator authorization is needed. */
  public record Enrolment(String user, String device, int cipherSuite, Bytes signatureKey, long timestampMillis, Bytes proof,
      String inviteCode, boolean operatorAuthorized) {}

  /** An issued credential and its serial (hex). */
  public record Issued(Credential credential, String serial, long notAfter) {}

  /**
   * Issues an x509 credential after checking authorization (operator, invite code, or development
   * mode) and proof of possession (the device signed EnrolTBS with the key to certify, at most five
   * minutes ago). Appended to the audit log.
   */
  public Issued enrol(Enrolment e) throws SQLException, ValidationException, IOException {
    CipherSuite suite = CipherSuite.of(e.cipherSuite());
    if (suite == null) {
      throw new ValidationException("as.cipher-suite", "unsupported cipher suite " + e.cipherSuite());
    }
    checkUserId(e.user());
    if (e.device().isEmpty() || e.device().contains("/") || e.device().length() > 64) {
      throw new ValidationException("as.device-id", "a device id is 1-64 characters without '/'");
    }
    MlsCrypto c = provider.suite(suite);
    if (Math.abs(clock.millis() - e.timestampMillis()) > 5 * 60 * 1000) {
      throw new ValidationException("as.stale-request", "the enrolment request is too old; check the device clock");
    }
    if (!c.verifyWithLabel(e.signatureKey(), ENROL_LABEL, enrolTbs(e.user(), e.device(), e.cipherSuite(), e.signatureKey(),
        e.timestampMillis()), e.proof())) {
      throw new ValidationException("as.proof-of-possession", "the request is not signed with the key to certify");
    }
    String actor = e.operatorAuthorized() ? "operator" : e.inviteCode() != null ? "invite" : "development";
    if (!e.operatorAuthorized() && e.inviteCode() == null && !developmentMode) {
      throw new ValidationException("as.unauthorized", "enrolment needs an invite code or operator authorization");
    }
    long now = now();
    X509CertificateHolder cert = ca.issue(e.user(), e.device(), suite.signature(), e.signatureKey(), now, lifetimeSeconds);
    String serial = cert.getSerialNumber().toString(16);
    byte[] der = cert.getEncoded();
    Boolean ok = db.transaction(conn -> {
      if (e.inviteCode() != null && !e.operatorAuthorized()) {
        try (PreparedStatement u = conn.prepareStatement(
            "UPDATE as_invites SET used = 1 WHERE code_hash = ? AND user_id = ? AND used = 0 AND expires_at > ?")) {
          u.setBytes(1, hash(e.inviteCode()));
          u.setString(2, e.user());
          u.setLong(3, now);
          if (u.executeUpdate() != 1) {
            return false;
          }
        }
      } else {
        // Operator-authorized (or development-mode) enrolment creates the account if needed.
        try (PreparedStatement q = conn.prepareStatement("SELECT 1 FROM as_accounts WHERE user_id = ?")) {
          q.setString(1, e.user());
          try (ResultSet rs = q.executeQuery()) {
            if (!rs.next()) {
              try (PreparedStatement ins = conn.prepareStatement("INSERT INTO as_accounts (user_id, created_at) VALUES (?, ?)")) {
                ins.setString(1, e.user());
                ins.setLong(2, now);
                ins.executeUpdate();
              }
            }
          }
        }
      }
      try (PreparedStatement q = conn.prepareStatement("SELECT 1 FROM as_accounts WHERE user_id = ?")) {
        q.setString(1, e.user());
        try (ResultSet rs = q.executeQuery()) {
          if (!rs.next()) {
            return false;
          }
        }
      }
      try (PreparedStatement ins = conn.prepareStatement("INSERT INTO as_certificates "
          + "(serial, user_id, device_id, signature_key, not_after, revoked_at, der) VALUES (?, ?, ?, ?, ?, NULL, ?)")) {
        ins.setString(1, serial);
        ins.setString(2, e.user());
        ins.setString(3, e.device());
        ins.setBytes(4, e.signatureKey().unsafeArray());
        ins.setLong(5, now + lifetimeSeconds);
        ins.setBytes(6, der);
        ins.executeUpdate();
      }
      audit(conn, actor, "issued", "serial=" + serial + " user=" + e.user() + " device=" + e.device());
      return true;
    });
    if (!ok) {
      throw new ValidationException("as.unauthorized", "unknown account, or the invite code is invalid, used or expired");
    }
    return new Issued(new Credential.X509(List.of(Bytes.wrap(der))), serial, now + lifetimeSeconds);
  }

  /** RenewTBS: what a device signs to renew its certificate with the same key. */
  public static byte[] renewTbs(String serial, long timestampMillis) {
    return new TlsWriter().opaque(serial.getBytes(StandardCharsets.UTF_8)).u64(timestampMillis).toByteArray();
  }

  /**
   * Renews a certificate before it expires: the holder of the current (valid, unrevoked)
   * certificate's key signs RenewTBS; a new certificate for the same user, device and key is
   * issued. No operator or invite needed: possession of the certified key is the authorization.
   */
  public Issued renew(String serial, long timestampMillis, Bytes proof) throws SQLException, ValidationException, IOException {
    record Current(String user, String device, Bytes key, X509CertificateHolder cert) {}
    Current cur = db.transaction(c -> {
      try (PreparedStatement q = c.prepareStatement(
          "SELECT user_id, device_id, signature_key, der, revoked_at FROM as_certificates WHERE serial = ?")) {
        q.setString(1, serial);
        try (ResultSet rs = q.executeQuery()) {
          if (!rs.next()) {
            return null;
          }
          rs.getLong(5);
          if (!rs.wasNull()) {
            return null;
          }
          try {
            return new Current(rs.getString(1), rs.getString(2), Bytes.wrap(rs.getBytes(3)), new X509CertificateHolder(rs.getBytes(4)));
          } catch (IOException e) {
            return null;
          }
        }
      }
    });
    if (cur == null || !cur.cert().isValidOn(new java.util.Date(clock.millis()))) {
      throw new ValidationException("as.unauthorized", "only a valid, unrevoked certificate can be renewed; enrol again");
    }
    if (Math.abs(clock.millis() - timestampMillis) > 5 * 60 * 1000) {
      throw new ValidationException("as.stale-request", "the renewal request is too old; check the device clock");
    }
    CipherSuite suite = null;
    for (CipherSuite cs : CipherSuite.values()) {
      if (provider.suite(cs).verifyWithLabel(cur.key(), "jmls AS renewal", renewTbs(serial, timestampMillis), proof)) {
        suite = cs;
        break;
      }
    }
    if (suite == null) {
      throw new ValidationException("as.proof-of-possession", "the renewal is not signed with the certified key");
    }
    long now = now();
    X509CertificateHolder cert = ca.issue(cur.user(), cur.device(), suite.signature(), cur.key(), now, lifetimeSeconds);
    String newSerial = cert.getSerialNumber().toString(16);
    byte[] der = cert.getEncoded();
    db.transaction(conn -> {
      try (PreparedStatement ins = conn.prepareStatement("INSERT INTO as_certificates "
          + "(serial, user_id, device_id, signature_key, not_after, revoked_at, der) VALUES (?, ?, ?, ?, ?, NULL, ?)")) {
        ins.setString(1, newSerial);
        ins.setString(2, cur.user());
        ins.setString(3, cur.device());
        ins.setBytes(4, cur.key().unsafeArray());
        ins.setLong(5, now + lifetimeSeconds);
        ins.setBytes(6, der);
        ins.executeUpdate();
      }
      audit(conn, cur.user() + "/" + cur.device(), "renewed", "serial=" + newSerial + " replaces=" + serial);
      return null;
    });
    return new Issued(new Credential.X509(List.of(Bytes.wrap(der))), newSerial, now + lifetimeSeconds);
  }

  private final List<java.util.function.Consumer<String>> revocationListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * Calls {@code clientId} ({@code user@domain/device}) after each revocation is stored: a DS in
   * the same process forgets its cached checks of that device at once instead of at its next
   * recheck. A listener's failure does not undo the revocation.
   */
  public void onRevoked(java.util.function.Consumer<String> clientId) {
    revocationListeners.add(clientId);
  }

  private void revoked(String clientId) {
    for (java.util.function.Consumer<String> l : revocationListeners) {
      try {
        l.accept(clientId);
      } catch (RuntimeException e) {
        // the revocation stands; the listener's next periodic check catches up
      }
    }
  }

  /** Revokes a certificate (operator action). */
  public void revoke(String serial, String operator) throws SQLException, ValidationException {
    String device = db.transaction(c -> {
      try (PreparedStatement u = c.prepareStatement("UPDATE as_certificates SET revoked_at = ? WHERE serial = ? AND revoked_at IS NULL")) {
        u.setLong(1, now());
        u.setString(2, serial);
        if (u.executeUpdate() != 1) {
          return null;
        }
      }
      audit(c, operator, "revoked", "serial=" + serial);
      try (PreparedStatement q = c.prepareStatement("SELECT user_id, device_id FROM as_certificates WHERE serial = ?")) {
        q.setString(1, serial);
        try (ResultSet rs = q.executeQuery()) {
          return rs.next() ? rs.getString(1) + "/" + rs.getString(2) : "";
        }
      }
    });
    if (device == null) {
      throw new ValidationException("as.unknown-certificate", "no unrevoked certificate with serial " + serial);
    }
    revoked(device);
  }

  /**
   * Revokes every unrevoked certificate of one device (operator action): what an operator does
   * for a lost or stolen device without looking up serials. Returns the serials revoked.
   */
  public List<String> revokeDevice(String user, String device, String operator) throws SQLException, ValidationException {
    List<String> revoked = db.transaction(c -> {
      List<String> serials = new ArrayList<>();
      try (PreparedStatement q = c.prepareStatement(
          "SELECT serial FROM as_certificates WHERE user_id = ? AND device_id = ? AND revoked_at IS NULL ORDER BY serial")) {
        q.setString(1, user);
        q.setString(2, device);
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            serials.add(rs.getString(1));
          }
        }
      }
      for (String serial : serials) {
        try (PreparedStatement u = c.prepareStatement("UPDATE as_certificates SET revoked_at = ? WHERE serial = ?")) {
          u.setLong(1, now());
          u.setString(2, serial);
          u.executeUpdate();
        }
        audit(c, operator, "revoked", "serial=" + serial + " user=" + user + " device=" + device);
      }
      return serials;
    });
    if (revoked.isEmpty()) {
      throw new ValidationException("as.unknown-device", "no unrevoked certificate for device " + user + "/" + device);
    }
    revoked(user + "/" + device);
    return revoked;
  }

  /** A certificate issued to a device: serial, expiry and revocation time (epoch seconds; revokedAt null if valid). */
  public record DeviceCertificate(String device, String serial, long notAfter, Long revokedAt) {}

  /** An account with the certificates issued to its devices, oldest first. */
  public record Account(String user, long createdAt, List<DeviceCertificate> certificates) {}

  /** Every account, by user id, with its devices' certificates (operator view). */
  public List<Account> accounts() throws SQLException {
    return db.transaction(c -> {
      java.util.Map<String, Account> out = new java.util.LinkedHashMap<>();
      try (PreparedStatement q = c.prepareStatement("SELECT user_id, created_at FROM as_accounts ORDER BY user_id");
          ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), new Account(rs.getString(1), rs.getLong(2), new ArrayList<>()));
        }
      }
      try (PreparedStatement q = c.prepareStatement(
          "SELECT user_id, device_id, serial, not_after, revoked_at FROM as_certificates ORDER BY user_id, device_id, not_after");
          ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          long revokedAt = rs.getLong(5);
          Long revoked = rs.wasNull() ? null : revokedAt;
          Account a = out.get(rs.getString(1));
          if (a != null) {
            a.certificates().add(new DeviceCertificate(rs.getString(2), rs.getString(3), rs.getLong(4), revoked));
          }
        }
      }
      List<Account> list = new ArrayList<>();
      for (Account a : out.values()) {
        list.add(new Account(a.user(), a.createdAt(), List.copyOf(a.certificates())));
      }
      return list;
    });
  }

  /** Whether {@code serial} is revoked; unknown serials count as revoked. */
  public boolean isRevoked(String serial) throws SQLException {
    return db.transaction(c -> {
      try (PreparedStatement q = c.prepareStatement("SELECT revoked_at FROM as_certificates WHERE serial = ?")) {
        q.setString(1, serial);
        try (ResultSet rs = q.executeQuery()) {
          if (!rs.next()) {
            return true;
          }
          rs.getLong(1);
          return !rs.wasNull();
        }
      }
    });
  }

  /** The revoked serials, newline-separated, with the root's Ed25519 signature over that text. */
  public record RevocationList(String serials, long issuedAt, Bytes signature) {}

  public RevocationList revocationList() throws SQLException {
    List<String> serials = db.transaction(c -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement q = c.prepareStatement("SELECT serial FROM as_certificates WHERE revoked_at IS NOT NULL ORDER BY serial");
          ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    });
    long at = now();
    String text = at + "\n" + String.join("\n", serials);
    return new RevocationList(String.join("\n", serials), at, ca.sign(text.getBytes(StandardCharsets.UTF_8)));
  }

  /** The audit log, oldest first, as lines {@code seq at actor action detail}. */
  public List<String> audit() throws SQLException {
    return db.transaction(c -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement q = c.prepareStatement("SELECT seq, at, actor, action, detail FROM as_audit ORDER BY seq");
          ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1) + " " + rs.getLong(2) + " " + rs.getString(3) + " " + rs.getString(4) + " " + rs.getString(5));
        }
      }
      return out;
    });
  }

  /** A validator for this deployment's credentials, checking revocation against this AS. */
  public X509CredentialValidator validator(boolean allowBasic) {
    return new X509CredentialValidator(ca.root(), clock, serial -> {
      try {
        return isRevoked(serial);
      } catch (SQLException e) {
        throw new ValidationException("as.revocation-unavailable", "revocation status unavailable");
      }
    }, allowBasic);
  }

  private volatile ProviderIdentity providerIdentity;

  /**
   * The key this provider signs federation requests with, and its certificate from this AS (see
   * {@link ProviderIdentity}); needs {@link #domain(String)}. Reissued daily.
   */
  public ProviderIdentity providerIdentity() throws IOException {
    String d = domain;
    if (d == null) {
      throw new IllegalStateException("a provider identity needs the provider's domain (AuthenticationService.domain)");
    }
    ProviderIdentity p = providerIdentity;
    if (p == null || !p.domain().equals(d) || p.issuedAt() + 86400 < now()) {
      p = ProviderIdentity.derive(ca, d, now());
      providerIdentity = p;
    }
    return p;
  }
}
