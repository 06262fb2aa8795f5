package org.jmls.ds;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.message.ContentType;
import org.jmls.message.GroupInfo;
import org.jmls.message.LeafNode;
import org.jmls.message.MlsMessage;
import org.jmls.message.PrivateMessage;
import org.jmls.message.PublicMessage;
import org.jmls.message.SenderType;

/**
 * The stored state of groups on the DS ({@code ds_groups}, the handshake log {@code ds_group_log})
 * and the lookups the ordering needs: statements that run inside the caller's transaction.
 */
final class GroupRows {
  private GroupRows() {}

  static GroupInfo groupInfoOf(MlsMessage m) throws ValidationException {
    if (m == null || !(m.body() instanceof GroupInfo)) {
      throw new ValidationException("ds.group-info-required", "a GroupInfo must accompany this request");
    }
    return (GroupInfo) m.body();
  }


  /** A group's ordering state (without its GroupInfo, which is large for a large group: see {@link #storedGroupInfo}). */
  record GroupRow(long epoch, boolean publicHandshakes, boolean externalJoins, long nextLogSeq) {}

  static GroupRow row(Connection c, Bytes gid) throws SQLException {
    try (PreparedStatement q = c.prepareStatement(
        "SELECT epoch, public_handshakes, external_joins, next_log_seq FROM ds_groups WHERE group_id = ?")) {
      q.setBytes(1, gid.unsafeArray());
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? new GroupRow(rs.getLong(1), rs.getInt(2) == 1, rs.getInt(3) == 1, rs.getLong(4)) : null;
      }
    }
  }

  static MlsMessage storedGroupInfo(Connection c, Bytes gid) throws SQLException, ValidationException {
    try (PreparedStatement q = c.prepareStatement("SELECT group_info FROM ds_groups WHERE group_id = ?")) {
      q.setBytes(1, gid.unsafeArray());
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next()) {
          throw new ValidationException("ds.unknown-group", "no such group");
        }
        return MlsMessage.fromBytes(rs.getBytes(1));
      }
    } catch (DecodeException e) {
      throw new ValidationException("ds.stored-group-info", "the stored GroupInfo does not decode");
    }
  }


  /**
   * The devices registered with these values of {@code column} (a batched {@code IN} lookup, 500
   * at a time: a bulk add of 100,000 is 200 queries, not 100,000).
   */
  static Set<String> clientsWhere(Connection c, String table, String column, java.util.Collection<Bytes> values)
      throws SQLException {
    Set<String> out = new LinkedHashSet<>();
    List<Bytes> all = new ArrayList<>(values);
    for (int from = 0; from < all.size(); from += 500) {
      List<Bytes> chunk = all.subList(from, Math.min(all.size(), from + 500));
      String marks = String.join(", ", java.util.Collections.nCopies(chunk.size(), "?"));
      try (PreparedStatement q = c.prepareStatement("SELECT client_id FROM " + table + " WHERE " + column + " IN (" + marks + ")")) {
        for (int i = 0; i < chunk.size(); i++) {
          q.setBytes(i + 1, chunk.get(i).unsafeArray());
        }
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      }
    }
    return out;
  }

  /** The devices, this DS's own or other providers' ({@link RemoteClients}), whose signature key is one of {@code keys}. */
  static Set<String> devicesWithKeys(Connection c, java.util.Collection<Bytes> keys) throws SQLException {
    Set<String> out = clientsWhere(c, "ds_clients", "signature_key", keys);
    out.addAll(clientsWhere(c, "ds_remote_clients", "signature_key", keys));
    return out;
  }

  /** The devices, this DS's own or other providers', whose KeyPackage (by reference) is one of {@code refs}. */
  static Set<String> devicesWithKeyPackages(Connection c, java.util.Collection<Bytes> refs) throws SQLException {
    Set<String> out = clientsWhere(c, "ds_key_packages", "ref", refs);
    out.addAll(clientsWhere(c, "ds_remote_key_packages", "ref", refs));
    return out;
  }

  /** The signature keys of those of {@code leaves} that differ between two views of the tree (blank counts as a difference). */
  static void changedKeys(List<Integer> leaves, java.util.function.IntFunction<LeafNode> before,
      java.util.function.IntFunction<LeafNode> after, List<Bytes> gone, List<Bytes> come) {
    for (int i : leaves) {
      LeafNode was = before.apply(i);
      LeafNode now = after.apply(i);
      Bytes wasKey = was == null ? null : was.signatureKey();
      Bytes nowKey = now == null ? null : now.signatureKey();
      if (java.util.Objects.equals(wasKey, nowKey)) {
        continue;
      }
      if (wasKey != null) {
        gone.add(wasKey);
      }
      if (nowKey != null) {
        come.add(nowKey);
      }
    }
  }

  /** Appends a handshake to the group's handshake log (per-group sequence, read by {@link GroupDirectory#log}). */
  static long appendHandshake(Connection c, Bytes gid, long seq, long epoch, GroupDirectory.Kind kind, String sender, byte[] msg)
      throws SQLException {
    try (PreparedStatement ins = c.prepareStatement(
        "INSERT INTO ds_group_log (group_id, seq, epoch, kind, sender, message) VALUES (?, ?, ?, ?, ?, ?)")) {
      ins.setBytes(1, gid.unsafeArray());
      ins.setLong(2, seq);
      ins.setLong(3, epoch);
      ins.setInt(4, kind.code);
      ins.setString(5, sender);
      ins.setBytes(6, msg);
      ins.executeUpdate();
    }
    try (PreparedStatement u = c.prepareStatement("UPDATE ds_groups SET next_log_seq = ? WHERE group_id = ?")) {
      u.setLong(1, seq + 1);
      u.setBytes(2, gid.unsafeArray());
      u.executeUpdate();
    }
    return seq;
  }


  /** Where a handshake claims to belong. */
  record Target(Bytes gid, long epoch, ContentType type, boolean newMember) {}

  static Target targetOf(MlsMessage m) throws ValidationException {
    if (m.body() instanceof PublicMessage pm) {
      return new Target(pm.content().groupId(), pm.content().epoch(), pm.content().contentType(),
          pm.content().sender().senderType() != SenderType.MEMBER);
    }
    if (m.body() instanceof PrivateMessage pm) {
      return new Target(pm.groupId(), pm.epoch(), pm.contentType(), false);
    }
    throw new ValidationException("ds.wire-format", "only PublicMessage and PrivateMessage are posted to a group");
  }


  /** The group's epoch, or -1 (reads only the epoch: the stored GroupInfo of a large group is large). */
  static long epochOf(Connection c, Bytes gid) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT epoch FROM ds_groups WHERE group_id = ?")) {
      q.setBytes(1, gid.unsafeArray());
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getLong(1) : -1;
      }
    }
  }

  /** The current epoch of each of {@code gids} that exists, in one query (a writer's batch names few groups, up to hundreds). */
  static java.util.Map<Bytes, Long> epochsOf(Connection c, java.util.Collection<Bytes> gids) throws SQLException {
    java.util.Map<Bytes, Long> out = new java.util.HashMap<>();
    List<Bytes> all = List.copyOf(new java.util.LinkedHashSet<>(gids));
    for (int from = 0; from < all.size(); from += 500) {
      List<Bytes> part = all.subList(from, Math.min(all.size(), from + 500));
      String marks = String.join(", ", java.util.Collections.nCopies(part.size(), "?"));
      try (PreparedStatement q = c.prepareStatement("SELECT group_id, epoch FROM ds_groups WHERE group_id IN (" + marks + ")")) {
        for (int i = 0; i < part.size(); i++) {
          q.setBytes(i + 1, part.get(i).unsafeArray());
        }
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            out.put(Bytes.wrap(rs.getBytes(1)), rs.getLong(2));
          }
        }
      }
    }
    return out;
  }
}
