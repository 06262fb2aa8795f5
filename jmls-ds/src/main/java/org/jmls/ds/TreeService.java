package org.jmls.ds;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.extension.RatchetTree;
import org.jmls.group.GroupServices;
import org.jmls.group.PublicGroup;
import org.jmls.message.GroupInfo;
import org.jmls.message.MlsMessage;
import org.jmls.message.Node;

/**
 * The ratchet trees the DS keeps for public-handshake groups, so commits and Welcomes travel
 * without them (draft-ietf-mls-ratchet-tree-options: the tree conveyed by the Delivery Service).
 * The DS verifies every commit of such a group with {@link PublicGroup}, so it knows each epoch's
 * tree without being sent one. Stored: a checkpoint (GroupInfo as uploaded, and the tree) at
 * creation and every {@value #CHECKPOINT_EVERY} epochs; an epoch's tree is the newest checkpoint at
 * or before it with the handshake log replayed, each commit verified again. Joiners validate what
 * they get against the tree hash in the signed GroupInfo (RFC 9420 §12.4.3.1): a DS cannot make a
 * joiner accept a wrong tree.
 *
 * <p>The encoded trees most recently served are kept in memory (keyed by group and epoch, so
 * never stale): a bulk add's joiners all ask for the same one.
 */
final class TreeService {
  /** Epochs between stored checkpoints. */
  static final int CHECKPOINT_EVERY = 32;
  /** How many epochs back a tree is served (joins in flight). */
  static final int SERVED_EPOCHS = 8;
  private static final int CACHED_TREES = 4;

  private final GroupServices services;
  private final Map<String, byte[]> encoded = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, byte[]> e) {
      return size() > CACHED_TREES;
    }
  };

  TreeService(GroupServices services) {
    this.services = services;
  }

  static byte[] encode(PublicGroup pg) {
    return new RatchetTree(pg.tree().toNodes()).toByteArray();
  }

  /** Stores a checkpoint of the group at {@code epoch}. */
  static void checkpoint(Connection c, Bytes gid, long epoch, byte[] groupInfo, byte[] tree) throws SQLException {
    try (PreparedStatement ins = c.prepareStatement(
        "INSERT INTO ds_tree_checkpoints (group_id, epoch, group_info, tree) VALUES (?, ?, ?, ?)")) {
      ins.setBytes(1, gid.unsafeArray());
      ins.setLong(2, epoch);
      ins.setBytes(3, groupInfo);
      ins.setBytes(4, tree);
      ins.executeUpdate();
    }
  }

  /**
   * The verified public state at the start of {@code epoch} (no proposal of that epoch applied):
   * the newest checkpoint at or before it, then every logged proposal and commit up to it.
   */
  PublicGroup rebuild(Connection c, Bytes gid, long epoch) throws SQLException, ValidationException {
    PublicGroup pg;
    long from;
    try (PreparedStatement q = c.prepareStatement("SELECT epoch, group_info, tree FROM ds_tree_checkpoints"
        + " WHERE group_id = ? AND epoch <= ? ORDER BY epoch DESC LIMIT 1")) {
      q.setBytes(1, gid.unsafeArray());
      q.setLong(2, epoch);
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next()) {
          throw new ValidationException("ds.tree-unavailable", "the DS keeps no tree of this group for epoch " + epoch);
        }
        from = rs.getLong(1);
        GroupInfo gi = (GroupInfo) MlsMessage.fromBytes(rs.getBytes(2)).body();
        pg = PublicGroup.fromGroupInfo(services, gi, RatchetTree.fromBytes(rs.getBytes(3), Integer.MAX_VALUE).nodes());
      } catch (DecodeException | ClassCastException e) {
        throw new ValidationException("ds.stored-tree", "a stored tree checkpoint does not decode");
      }
    }
    try (PreparedStatement q = c.prepareStatement("SELECT message FROM ds_group_log WHERE group_id = ? AND epoch >= ? AND epoch < ?"
        + " ORDER BY seq")) {
      q.setBytes(1, gid.unsafeArray());
      q.setLong(2, from);
      q.setLong(3, epoch);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          pg.handle(MlsMessage.fromBytes(rs.getBytes(1)));
        }
      }
    } catch (MlsException e) {
      throw new ValidationException("ds.stored-tree", "the logged handshakes no longer replay: " + e.getMessage());
    }
    if (pg.epoch() != epoch) {
      throw new ValidationException("ds.tree-unavailable", "the DS's log does not reach epoch " + epoch);
    }
    return pg;
  }

  // ---------------------------------------------------------------- encrypted-handshake groups

  /** The tree the DS holds for an encrypted-handshake group, at one epoch. */
  private record Held(long epoch, List<Node> nodes) {}

  private final Map<Bytes, Held> held = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The tree of an encrypted-handshake group at {@code epoch}: from memory, else the newest
   * checkpoint at or before it with the stored change sets applied, else (a group from before the
   * DS kept trees) the inline tree of the stored GroupInfo when it is for that epoch.
   */
  List<Node> encryptedTree(Connection c, Bytes gid, long epoch) throws SQLException, ValidationException {
    Held h = held.get(gid);
    if (h != null && h.epoch() == epoch) {
      return h.nodes();
    }
    List<Node> nodes = null;
    long from = -1;
    try (PreparedStatement q = c.prepareStatement("SELECT epoch, tree FROM ds_tree_checkpoints"
        + " WHERE group_id = ? AND epoch <= ? ORDER BY epoch DESC LIMIT 1")) {
      q.setBytes(1, gid.unsafeArray());
      q.setLong(2, epoch);
      try (ResultSet rs = q.executeQuery()) {
        if (rs.next()) {
          from = rs.getLong(1);
          nodes = RatchetTree.fromBytes(rs.getBytes(2), Integer.MAX_VALUE).nodes();
        }
      } catch (DecodeException e) {
        throw new ValidationException("ds.stored-tree", "a stored tree checkpoint does not decode");
      }
    }
    if (nodes == null) {
      nodes = inlineTreeOfStoredGroupInfo(c, gid, epoch);
      from = epoch;
    }
    try (PreparedStatement q = c.prepareStatement("SELECT epoch, changes FROM ds_tree_changes WHERE group_id = ? AND epoch >= ?"
        + " AND epoch < ? ORDER BY epoch")) {
      q.setBytes(1, gid.unsafeArray());
      q.setLong(2, from);
      q.setLong(3, epoch);
      try (ResultSet rs = q.executeQuery()) {
        long next = from;
        while (rs.next()) {
          if (rs.getLong(1) != next) {
            break;
          }
          nodes = TreeChanges.fromBytes(rs.getBytes(2)).applyTo(nodes);
          next++;
        }
        if (next != epoch) {
          throw new ValidationException("ds.tree-unavailable", "the DS keeps no tree of this group for epoch " + epoch);
        }
      } catch (DecodeException e) {
        throw new ValidationException("ds.stored-tree", "a stored tree change set does not decode");
      }
    }
    return nodes;
  }

  private static List<Node> inlineTreeOfStoredGroupInfo(Connection c, Bytes gid, long epoch) throws SQLException, ValidationException {
    GroupInfo gi = GroupRows.groupInfoOf(GroupRows.storedGroupInfo(c, gid));
    org.jmls.message.Extension e = org.jmls.message.Extension.find(gi.extensions(), org.jmls.message.Extension.RATCHET_TREE);
    if (e != null && gi.groupContext().epoch() == epoch) {
      try {
        return RatchetTree.from(e).nodes();
      } catch (DecodeException x) {
        throw new ValidationException("ds.stored-group-info", "the stored GroupInfo's tree does not decode");
      }
    }
    throw new ValidationException("ds.tree-unavailable", "the DS keeps no tree of this group for epoch " + epoch);
  }

  /** Remembers the tree of an encrypted-handshake group at its new epoch (after the commit is stored). */
  void hold(Bytes gid, long epoch, List<Node> nodes) {
    if (held.size() > 10_000) {
      held.clear();
    }
    held.put(gid, new Held(epoch, nodes));
  }

  /** Stores a commit's change set (the change from {@code epoch} to the next). */
  static void storeChanges(Connection c, Bytes gid, long epoch, TreeChanges changes) throws SQLException {
    try (PreparedStatement ins = c.prepareStatement("INSERT INTO ds_tree_changes (group_id, epoch, changes) VALUES (?, ?, ?)")) {
      ins.setBytes(1, gid.unsafeArray());
      ins.setLong(2, epoch);
      ins.setBytes(3, changes.toByteArray());
      ins.executeUpdate();
    }
  }

  /**
   * The encoded tree of {@code gid} at {@code epoch}: for a public-handshake group from its
   * current verified state ({@code current}) or rebuilt, for an encrypted one from the kept tree.
   */
  byte[] tree(Connection c, Bytes gid, long epoch, boolean publicHandshakes, PublicGroup current)
      throws SQLException, ValidationException {
    String key = gid.hex() + "/" + epoch;
    synchronized (encoded) {
      byte[] hit = encoded.get(key);
      if (hit != null) {
        return hit;
      }
    }
    byte[] out = !publicHandshakes ? new RatchetTree(encryptedTree(c, gid, epoch)).toByteArray()
        : encode(current != null && current.epoch() == epoch ? current : rebuild(c, gid, epoch));
    synchronized (encoded) {
      encoded.put(key, out);
    }
    return out;
  }
}
