package org.jmls.ds;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.ds.GroupDirectory.Kind;

/**
 * Application messages appended on PostgreSQL by one statement, so that the append lock (the
 * delivery sequence row, see {@link OrderedWrites#LOCK}) is held for that statement and the commit
 * only, not for the checks before them: with several nodes on one database, the others check their
 * batches while one appends. The statement takes the lock and reserves the numbers ({@code s}),
 * writes the entries ({@code ins}), moves each group's last number ({@code touched}) and notifies the
 * other nodes ({@code n}, sent at commit).
 *
 * <p>The messages were checked (membership, epoch window) against each group's epoch as it was
 * before the lock. Only commits change an epoch, and they hold the lock while they do, so the epoch
 * cannot move once the statement has it; it can move while the statement waits for it. {@code
 * touched} catches that: an UPDATE at READ COMMITTED tests its condition against the row as the last
 * commit left it, even one that committed after the statement began, and the condition includes the
 * epoch checked. A group whose epoch moved is not touched; the caller then undoes the transaction
 * (numbers, entries and notification with it) and checks again under the lock.
 */
final class LogAppend {
  private LogAppend() {}

  /** One checked message. */
  record Entry(Bytes gid, long epoch, String sender, byte[] message) {}

  static final String SQL = "WITH s AS (UPDATE ds_sequence SET next_seq = next_seq + ? WHERE name = 'delivery'"
      + " RETURNING next_seq - ? AS first),"
      + " ins AS (INSERT INTO ds_log (seq, group_id, epoch, kind, sender, message, at)"
      + " SELECT s.first + t.i - 1, t.group_id, t.epoch, ?, t.sender, t.message, ? FROM s,"
      + " unnest(?::bytea[], ?::bigint[], ?::text[], ?::bytea[]) WITH ORDINALITY AS t(group_id, epoch, sender, message, i)"
      + " RETURNING group_id, seq),"
      + " touched AS (UPDATE ds_groups g SET last_seq = GREATEST(g.last_seq, l.seq)"
      + " FROM (SELECT group_id, MAX(seq) AS seq FROM ins GROUP BY group_id) l, unnest(?::bytea[], ?::bigint[]) AS x(group_id, epoch)"
      + " WHERE g.group_id = l.group_id AND x.group_id = l.group_id AND g.epoch = x.epoch RETURNING 1),"
      + " n AS (SELECT pg_notify(?::text, ?::text || s.first || ' ' || (s.first + ?) || ?::text) FROM s WHERE ?)"
      + " SELECT s.first, (SELECT COUNT(*) FROM touched), (SELECT COUNT(*) FROM n) FROM s";

  /**
   * Appends {@code entries} (not empty) in that order, numbered from the returned first number;
   * {@code checked} holds the epoch each of their groups was checked against, one per group. Returns
   * -1 when some group's epoch is no longer that one: the caller must undo the transaction.
   * {@code notice} is {@link ClusterAppends#notice} of the entries, or null when no other node listens.
   */
  static long applications(Connection c, List<Entry> entries, Map<Bytes, Long> checked, long at, String[] notice)
      throws SQLException {
    int n = entries.size();
    byte[][] gids = new byte[n][];
    Long[] epochs = new Long[n];
    String[] senders = new String[n];
    byte[][] messages = new byte[n][];
    for (int i = 0; i < n; i++) {
      Entry e = entries.get(i);
      gids[i] = e.gid().unsafeArray();
      epochs[i] = e.epoch();
      senders[i] = e.sender();
      messages[i] = e.message();
    }
    byte[][] groups = new byte[checked.size()][];
    Long[] groupEpochs = new Long[checked.size()];
    int k = 0;
    for (Map.Entry<Bytes, Long> g : checked.entrySet()) {
      groups[k] = g.getKey().unsafeArray();
      groupEpochs[k++] = g.getValue();
    }
    try (PreparedStatement q = c.prepareStatement(SQL)) {
      int p = 1;
      q.setLong(p++, n);
      q.setLong(p++, n);
      q.setInt(p++, Kind.APPLICATION.code);
      q.setLong(p++, at);
      q.setArray(p++, c.createArrayOf("bytea", gids));
      q.setArray(p++, c.createArrayOf("bigint", epochs));
      q.setArray(p++, c.createArrayOf("text", senders));
      q.setArray(p++, c.createArrayOf("bytea", messages));
      q.setArray(p++, c.createArrayOf("bytea", groups));
      q.setArray(p++, c.createArrayOf("bigint", groupEpochs));
      q.setString(p++, notice == null ? null : notice[0]);
      q.setString(p++, notice == null ? null : notice[1]);
      q.setLong(p++, n - 1);
      q.setString(p++, notice == null ? null : notice[2]);
      q.setBoolean(p, notice != null);
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("the delivery sequence row is missing");
        }
        return rs.getLong(2) == checked.size() ? rs.getLong(1) : -1;
      }
    }
  }
}
