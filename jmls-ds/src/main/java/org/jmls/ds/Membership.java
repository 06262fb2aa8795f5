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
import java.util.concurrent.ConcurrentHashMap;
import org.jmls.Bytes;

/**
 * Who reads a group's log from which sequence on ({@code ds_group_members}): a device that joins
 * with the commit at sequence {@code s} reads entries after {@code s}; one removed by the commit at
 * {@code s} still reads up to and including {@code s} (so it learns of its removal), nothing after.
 * A device that joins again starts a new window.
 *
 * <p>The roster cache is keyed by group and epoch: membership changes only with a commit, which
 * moves the epoch in the same transaction, so an entry read for an epoch stays right for that epoch
 * in every process sharing the database (it can be old, never wrong).
 */
final class Membership {
  private record Roster(long epoch, Set<String> members) {}

  private final Map<Bytes, Roster> rosters = new ConcurrentHashMap<>();
  /** Most groups whose roster is kept; beyond, the cache starts over. */
  static final int CACHED_GROUPS = 100_000;

  /** The current members (device ids) of a group, sorted. */
  static List<String> active(Connection c, Bytes gid) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement q = c.prepareStatement(
        "SELECT client_id FROM ds_group_members WHERE group_id = ? AND until_seq IS NULL ORDER BY client_id")) {
      q.setBytes(1, gid.unsafeArray());
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  /** How many groups {@code client} is a member of now. */
  static int groupsOf(Connection c, String client) throws SQLException {
    try (PreparedStatement q = c.prepareStatement(
        "SELECT COUNT(*) FROM ds_group_members WHERE client_id = ? AND until_seq IS NULL")) {
      q.setString(1, client);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /** The members at {@code epoch} (the group's current epoch), from the cache when it has them. */
  Set<String> at(Connection c, Bytes gid, long epoch) throws SQLException {
    Roster cached = rosters.get(gid);
    if (cached != null && cached.epoch() == epoch) {
      return cached.members();
    }
    Set<String> members = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(active(c, gid)));
    if (rosters.size() > CACHED_GROUPS) {
      rosters.clear();
    }
    rosters.put(gid, new Roster(epoch, members));
    return members;
  }

  /**
   * Records the roster of {@code epoch + 1} once the commit that made it is stored: the roster of
   * {@code epoch} with its leavers and joiners applied, the same set when the commit changed no
   * member (an update: no copy, no query, whatever the group's size). Right by construction,
   * like an entry read from the database for that epoch.
   */
  void advance(Bytes gid, long epoch, Set<String> roster, java.util.Collection<String> leavers, java.util.Collection<String> joiners) {
    Set<String> next = roster;
    if (!leavers.isEmpty() || !joiners.isEmpty()) {
      java.util.TreeSet<String> changed = new java.util.TreeSet<>(roster); // sorted, as read from the database
      changed.removeAll(leavers);
      changed.addAll(joiners);
      next = java.util.Collections.unmodifiableSet(changed);
    }
    if (rosters.size() > CACHED_GROUPS) {
      rosters.clear();
    }
    rosters.put(gid, new Roster(epoch + 1, next));
  }

  /** How many members {@code roster} has once {@code leavers} leave and {@code joiners} join (no copy). */
  static int sizeAfter(Set<String> roster, java.util.Collection<String> leavers, java.util.Collection<String> joiners) {
    int size = roster.size();
    for (String l : leavers) {
      if (roster.contains(l) && !joiners.contains(l)) {
        size--;
      }
    }
    for (String j : joiners) {
      if (!roster.contains(j)) {
        size++;
      }
    }
    return size;
  }

  /** {@code client} reads the group's entries after {@code fromSeq} (a new window if it had one). */
  static void join(Connection c, Bytes gid, String client, long fromSeq) throws SQLException {
    join(c, gid, List.of(client), fromSeq);
  }

  /** Each of {@code clients} reads the group's entries after {@code fromSeq} (batched statements). */
  static void join(Connection c, Bytes gid, java.util.Collection<String> clients, long fromSeq) throws SQLException {
    if (clients.isEmpty()) {
      return;
    }
    try (PreparedStatement expired = c.prepareStatement("DELETE FROM ds_expired WHERE group_id = ? AND client_id = ?");
        PreparedStatement del = c.prepareStatement("DELETE FROM ds_group_members WHERE group_id = ? AND client_id = ?");
        PreparedStatement ins = c.prepareStatement("INSERT INTO ds_group_members (group_id, client_id, from_seq) VALUES (?, ?, ?)")) {
      for (String client : clients) {
        for (PreparedStatement p : new PreparedStatement[] {expired, del}) {
          p.setBytes(1, gid.unsafeArray());
          p.setString(2, client);
          p.addBatch();
        }
        ins.setBytes(1, gid.unsafeArray());
        ins.setString(2, client);
        ins.setLong(3, fromSeq);
        ins.addBatch();
      }
      expired.executeBatch();
      del.executeBatch();
      ins.executeBatch();
    }
  }

  /** Each of {@code clients} reads the group's entries up to and including {@code untilSeq}, none after. */
  static void leave(Connection c, Bytes gid, java.util.Collection<String> clients, long untilSeq) throws SQLException {
    if (clients.isEmpty()) {
      return;
    }
    try (PreparedStatement u = c.prepareStatement(
        "UPDATE ds_group_members SET until_seq = ? WHERE group_id = ? AND client_id = ? AND until_seq IS NULL")) {
      for (String client : clients) {
        u.setLong(1, untilSeq);
        u.setBytes(2, gid.unsafeArray());
        u.setString(3, client);
        u.addBatch();
      }
      u.executeBatch();
    }
  }
}
