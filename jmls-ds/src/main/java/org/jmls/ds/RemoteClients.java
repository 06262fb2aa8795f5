package org.jmls.ds;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.service.Database;

/**
 * Devices of federated providers' users, as this DS learnt of them when it claimed their
 * KeyPackages through their provider ({@code ds_remote_clients}, {@code ds_remote_key_packages}).
 * What is recorded here was checked by the caller (the federation layer): each KeyPackage valid,
 * its credential naming that device under the root of the provider's domain.
 */
public final class RemoteClients {
  /** Claims of other providers' KeyPackages, answered by those providers (the federation layer implements it). */
  @FunctionalInterface
  public interface Claims {
    /**
     * One KeyPackage per device of each of {@code users} (all of {@code domain}), claimed at that
     * domain's provider, checked and recorded; users with no device map to an empty list.
     */
    java.util.Map<String, List<KeyPackageDirectory.Claimed>> claim(String domain, List<String> users, int suite)
        throws ValidationException, SQLException;
  }

  /** A device of another provider, as recorded: its id, user, provider domain and signature key. */
  public record Remote(String clientId, String userId, String provider, Bytes signatureKey) {}

  private final Database db;

  public RemoteClients(Database db) {
    this.db = db;
  }

  /** Records a claimed KeyPackage ({@code ref}) of {@code device}, creating or updating the device. */
  public void record(Remote device, Bytes keyPackageRef, long nowSeconds) throws SQLException {
    db.transaction(c -> {
      try (PreparedStatement u = c.prepareStatement(
          "UPDATE ds_remote_clients SET user_id = ?, provider = ?, signature_key = ?, seen_at = ? WHERE client_id = ?")) {
        u.setString(1, device.userId());
        u.setString(2, device.provider());
        u.setBytes(3, device.signatureKey().unsafeArray());
        u.setLong(4, nowSeconds);
        u.setString(5, device.clientId());
        if (u.executeUpdate() == 0) {
          try (PreparedStatement ins = c.prepareStatement("INSERT INTO ds_remote_clients "
              + "(client_id, user_id, provider, signature_key, seen_at) VALUES (?, ?, ?, ?, ?)")) {
            ins.setString(1, device.clientId());
            ins.setString(2, device.userId());
            ins.setString(3, device.provider());
            ins.setBytes(4, device.signatureKey().unsafeArray());
            ins.setLong(5, nowSeconds);
            ins.executeUpdate();
          }
        }
      }
      try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM ds_remote_key_packages WHERE ref = ?")) {
        q.setBytes(1, keyPackageRef.unsafeArray());
        try (ResultSet rs = q.executeQuery()) {
          if (rs.next()) {
            return null; // a last-resort KeyPackage claimed again
          }
        }
      }
      try (PreparedStatement ins = c.prepareStatement(
          "INSERT INTO ds_remote_key_packages (ref, client_id, claimed_at) VALUES (?, ?, ?)")) {
        ins.setBytes(1, keyPackageRef.unsafeArray());
        ins.setString(2, device.clientId());
        ins.setLong(3, nowSeconds);
        ins.executeUpdate();
      }
      return null;
    });
  }

  /** The recorded device {@code clientId}, or null. */
  public Remote device(String clientId) throws SQLException {
    return db.transaction(c -> {
      try (PreparedStatement q = c.prepareStatement(
          "SELECT user_id, provider, signature_key FROM ds_remote_clients WHERE client_id = ?")) {
        q.setString(1, clientId);
        try (ResultSet rs = q.executeQuery()) {
          return rs.next() ? new Remote(clientId, rs.getString(1), rs.getString(2), Bytes.wrap(rs.getBytes(3))) : null;
        }
      }
    });
  }

  /** The device a claimed KeyPackage reference belongs to, or null. */
  public String deviceOfKeyPackage(Bytes ref) throws SQLException {
    return db.transaction(c -> {
      try (PreparedStatement q = c.prepareStatement("SELECT client_id FROM ds_remote_key_packages WHERE ref = ?")) {
        q.setBytes(1, ref.unsafeArray());
        try (ResultSet rs = q.executeQuery()) {
          return rs.next() ? rs.getString(1) : null;
        }
      }
    });
  }
}
