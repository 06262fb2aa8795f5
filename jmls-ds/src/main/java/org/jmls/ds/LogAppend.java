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
 * Application messages appended on PostgreSQL by one statement that is its own transaction: it locks
 * the groups' rows {@code FOR SHARE} and reads their epochs ({@code g}), then takes a block ({@code
 * s}, see {@link Blocks}) and claims it ({@code claim}), writes the entries ({@code ins}) if no epoch
 * moved ({@code ok}), and notifies the other nodes ({@code n}, sent at commit). It is committed as it
 * completes, in the same round trip, and holds no lock that another group's appends wait for.
 *
 * <p>The messages were checked (membership, epoch window) against each group's epoch as it was
 * before the statement. Only commits change an epoch, and a commit updates the group's row, which
 * conflicts with {@code FOR SHARE}: whichever of the two comes second waits for the first, and a
 * locking read at READ COMMITTED returns the row as the last commit left it. If an epoch moved,
 * nothing is written, the block stays claimed without entries (the notification names its range
 * without entries, for the other nodes wait for every block), and the caller checks again. The block
 * is taken after the row locks, so an append that waited for a commit of its group has a later
 * block than that commit.
 */
final class LogAppend {
  private LogAppend() {}

  /** One checked message. */
  record Entry(Bytes gid, long epoch, String sender, byte[] message) {}

  /** The numbers the statement reserved, from {@code first} to {@code last}; entries were written only if {@code written}. */
  record Result(long first, long last, boolean written) {}

  static final String SQL = "WITH g AS (SELECT g.epoch, x.epoch AS checked FROM ds_groups g JOIN unnest(?::bytea[], ?::bigint[]) AS x(group_id, epoch)"
      + " ON x.group_id = g.group_id FOR SHARE OF g),"
      + " ok AS (SELECT COUNT(*) FILTER (WHERE epoch = checked) = ? AS ok FROM g),"
      // s reads ok, which reads all of g: the block is taken once every row lock is held.
      + " s AS (SELECT nextval('ds_block_seq') * " + Blocks.SIZE + " AS first FROM ok),"
      + " claim AS (INSERT INTO ds_blocks (block, state) SELECT s.first / " + Blocks.SIZE + ", 'done' FROM s RETURNING block),"
      + " ins AS (INSERT INTO ds_log (seq, group_id, epoch, kind, sender, message, at)"
      + " SELECT s.first + t.i - 1, t.group_id, t.epoch, ?, t.sender, t.message, ? FROM s, ok,"
      + " unnest(?::bytea[], ?::bigint[], ?::text[], ?::bytea[]) WITH ORDINALITY AS t(group_id, epoch, sender, message, i)"
      + " WHERE ok.ok RETURNING seq),"
      + " n AS (SELECT pg_notify(?::text, ?::text || s.first || ' ' || (s.first + ?) || CASE WHEN ok.ok THEN p.after ELSE '' END)"
      + " FROM s, ok, unnest(?::text[]) AS p(after) WHERE ?)"
      // n and claim are read so that they run; the data-modifying parts run whether read or not.
      + " SELECT s.first, ok.ok, (SELECT COUNT(*) FROM n), (SELECT COUNT(*) FROM claim) FROM s, ok";

  /**
   * Appends {@code entries} (not empty) in that order, numbered from the result's first number, on
   * {@code c} in autocommit mode; {@code checked} holds the epoch each of their groups was checked
   * against, one per group. {@code notice} is {@link ClusterAppends#notice} of the entries (one
   * notification per part; when an epoch moved, the parts name the same empty range, and PostgreSQL
   * delivers identical notifications of one transaction once), or null
   * when no other node listens.
   */
  static Result applications(Connection c, List<Entry> entries, Map<Bytes, Long> checked, long at, ClusterAppends.Notice notice)
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
    if (n > Blocks.SIZE) {
      throw new IllegalArgumentException(n + " entries do not fit in one block");
    }
    try (PreparedStatement q = c.prepareStatement(SQL)) {
      int p = 1;
      q.setArray(p++, c.createArrayOf("bytea", groups));
      q.setArray(p++, c.createArrayOf("bigint", groupEpochs));
      q.setLong(p++, groups.length);
      q.setInt(p++, Kind.APPLICATION.code);
      q.setLong(p++, at);
      q.setArray(p++, c.createArrayOf("bytea", gids));
      q.setArray(p++, c.createArrayOf("bigint", epochs));
      q.setArray(p++, c.createArrayOf("text", senders));
      q.setArray(p++, c.createArrayOf("bytea", messages));
      q.setString(p++, notice == null ? null : notice.channel());
      q.setString(p++, notice == null ? null : notice.before());
      q.setLong(p++, n - 1);
      q.setArray(p++, c.createArrayOf("text", notice == null ? new String[0] : notice.after().toArray()));
      q.setBoolean(p, notice != null);
      try (ResultSet rs = q.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("the append statement returned no row");
        }
        long first = rs.getLong(1);
        return new Result(first, first + n - 1, rs.getBoolean(2));
      }
    } catch (SQLException e) {
      throw Blocks.voided(e);
    }
  }
}
