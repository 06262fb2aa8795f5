package org.jmls.ds;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.ds.GroupDirectory.Delivery;
import org.jmls.ds.GroupDirectory.Kind;

/**
 * Delivery by log and cursor (RFC 9750 §5.2 "ordering", "delivery"). Every message to a group is
 * one row of {@code ds_log}, numbered from one DS-wide sequence, whatever the group's size. A
 * device's delivery is the merge, in sequence order, of the entries of its groups within its
 * membership window ({@code from_seq < seq <= until_seq}, see {@link Membership}) and of the few
 * items addressed to it alone ({@code ds_queue}: Welcomes), after its cursor, less what it sent
 * itself. Acknowledging moves the cursor; entries every reader has passed are pruned, and entries
 * older than the retention period go even if some device has not read them, which that device is
 * told (see {@link #expired}).
 *
 * <p>On SQLite sequence numbers are taken in the writing transaction from one counter row, so their
 * order is the commit order (SQLite has one writer). On PostgreSQL they come in blocks ({@link
 * Blocks}) and commit in any order, so reads stop at a horizon below which nothing is still to
 * commit ({@link OrderedWrites#horizon}). Numbers are increasing per device but not contiguous.
 *
 * <p>Every method runs inside the caller's transaction.
 */
final class DeliveryLog {
  private DeliveryLog() {}

  static final String APPEND = "INSERT INTO ds_log (seq, group_id, epoch, kind, sender, message, at) VALUES (?, ?, ?, ?, ?, ?, ?)";

  /** SQLite (one writer): reserves {@code n} consecutive sequence numbers and returns the first. PostgreSQL: {@link Blocks#claim}. */
  static long reserve(Connection c, int n) throws SQLException {
    // One statement: the row's new value comes back with it.
    try (PreparedStatement u = c.prepareStatement("UPDATE ds_sequence SET next_seq = next_seq + ? WHERE name = 'delivery' RETURNING next_seq")) {
      u.setLong(1, n);
      try (ResultSet rs = u.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("the delivery sequence row is missing");
        }
        return rs.getLong(1) - n;
      }
    }
  }

  /** The highest sequence number handed out so far (SQLite; on PostgreSQL see {@link OrderedWrites#horizon}). */
  static long last(Connection c) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT next_seq FROM ds_sequence WHERE name = 'delivery'");
        ResultSet rs = q.executeQuery()) {
      rs.next();
      return rs.getLong(1) - 1;
    }
  }

  /** Adds one log entry to a batch of {@link #APPEND}. */
  static void add(PreparedStatement ins, long seq, Bytes gid, long epoch, Kind kind, String sender, byte[] msg, long at)
      throws SQLException {
    ins.setLong(1, seq);
    ins.setBytes(2, gid.unsafeArray());
    ins.setLong(3, epoch);
    ins.setInt(4, kind.code);
    ins.setString(5, sender);
    ins.setBytes(6, msg);
    ins.setLong(7, at);
    ins.addBatch();
  }

  /** Appends one entry and moves the group's last sequence. */
  static void append(Connection c, long seq, Bytes gid, long epoch, Kind kind, String sender, byte[] msg, long at)
      throws SQLException {
    try (PreparedStatement ins = c.prepareStatement(APPEND)) {
      add(ins, seq, gid, epoch, kind, sender, msg, at);
      ins.executeBatch();
    }
    touchGroup(c, gid, seq);
  }

  /** Records {@code seq} as the last one written to the group (one update per group per transaction). */
  /** {@link #touchGroup} for several groups in one batch of statements. */
  static void touchGroups(Connection c, java.util.Map<Bytes, Long> lastSeqs) throws SQLException {
    try (PreparedStatement u = c.prepareStatement("UPDATE ds_groups SET last_seq = ? WHERE group_id = ? AND last_seq < ?")) {
      for (java.util.Map.Entry<Bytes, Long> e : lastSeqs.entrySet()) {
        u.setLong(1, e.getValue());
        u.setBytes(2, e.getKey().unsafeArray());
        u.setLong(3, e.getValue());
        u.addBatch();
      }
      u.executeBatch();
    }
  }

  static void touchGroup(Connection c, Bytes gid, long seq) throws SQLException {
    try (PreparedStatement u = c.prepareStatement("UPDATE ds_groups SET last_seq = ? WHERE group_id = ? AND last_seq < ?")) {
      u.setLong(1, seq);
      u.setBytes(2, gid.unsafeArray());
      u.setLong(3, seq);
      u.executeUpdate();
    }
  }

  /** A message addressed to single devices (a Welcome, a follower's delivery from its hub), numbered {@code seq}. */
  record Addressed(long seq, Bytes gid, Kind kind, byte[] message, Collection<String> devices) {}

  /**
   * Addresses one message to each of {@code devices} alone (a Welcome to its joiners): the body is
   * stored once, each device gets a small row under the same sequence number.
   */
  static void addressTo(Connection c, Collection<String> devices, long seq, Bytes gid, Kind kind, byte[] msg, long at, boolean idsFromNumbers)
      throws SQLException {
    addressAll(c, java.util.List.of(new Addressed(seq, gid, kind, msg, devices)), at, idsFromNumbers);
  }

  /**
   * Addresses each of {@code messages} as {@link #addressTo} does, with three statements whatever
   * their number (one query for the first body id, then two statement batches): a follower stores a
   * hub's delivery of many entries at once. With {@code idsFromNumbers} (numbers in blocks, whose
   * transactions run side by side: {@link Blocks}) each body's id is its sequence number, unique
   * without a query; else the next ids after the highest (one writer).
   */
  static void addressAll(Connection c, java.util.List<Addressed> messages, long at, boolean idsFromNumbers) throws SQLException {
    if (messages.isEmpty()) {
      return;
    }
    long id = 0;
    if (!idsFromNumbers) {
      try (PreparedStatement q = c.prepareStatement("SELECT COALESCE(MAX(id), 0) + 1 FROM ds_messages"); ResultSet rs = q.executeQuery()) {
        rs.next();
        id = rs.getLong(1);
      }
    }
    try (PreparedStatement bodies = c.prepareStatement("INSERT INTO ds_messages (id, group_id, message, enqueued_at) VALUES (?, ?, ?, ?)");
        PreparedStatement rows = c.prepareStatement(
            "INSERT INTO ds_queue (client_id, seq, group_id, kind, message, enqueued_at, message_id) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      for (Addressed m : messages) {
        if (idsFromNumbers) {
          id = m.seq();
        }
        bodies.setLong(1, id);
        bodies.setBytes(2, m.gid().unsafeArray());
        bodies.setBytes(3, m.message());
        bodies.setLong(4, at);
        bodies.addBatch();
        for (String d : m.devices()) {
          rows.setString(1, d);
          rows.setLong(2, m.seq());
          rows.setBytes(3, m.gid().unsafeArray());
          rows.setInt(4, m.kind().code);
          rows.setBytes(5, new byte[0]);
          rows.setLong(6, at);
          rows.setLong(7, id);
          rows.addBatch();
        }
        id++;
      }
      bodies.executeBatch(); // the bodies first: each row names its body
      rows.executeBatch();
    }
  }

  /** The device's cursor: the highest sequence it acknowledged (0 before its first acknowledgement). */
  static long cursor(Connection c, String client) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT acked FROM ds_cursors WHERE client_id = ?")) {
      q.setString(1, client);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  /** A membership window of a device that has something it may not have read. */
  private record Window(Bytes gid, long from, Long until) {}

  /**
   * The device's membership windows that may hold entries after {@code after}: with {@code lastSeqKept}
   * (SQLite, where every append moves {@code ds_groups.last_seq}) only groups written since; else
   * (PostgreSQL, where appends to one group run side by side and do not update its row) every window
   * whose end is not behind, each then one index probe.
   */
  private static List<Window> windowsWithNews(Connection c, String client, long after, boolean lastSeqKept) throws SQLException {
    List<Window> out = new ArrayList<>();
    try (PreparedStatement q = c.prepareStatement(lastSeqKept
        ? "SELECT m.group_id, m.from_seq, m.until_seq FROM ds_group_members m"
            + " JOIN ds_groups g ON g.group_id = m.group_id WHERE m.client_id = ? AND g.last_seq > ? AND g.last_seq > m.from_seq"
        : "SELECT m.group_id, m.from_seq, m.until_seq FROM ds_group_members m WHERE m.client_id = ?"
            + " AND (m.until_seq IS NULL OR m.until_seq > ?)")) {
      q.setString(1, client);
      q.setLong(2, after);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          Bytes gid = Bytes.wrap(rs.getBytes(1));
          long from = rs.getLong(2);
          long until = rs.getLong(3);
          out.add(new Window(gid, from, rs.wasNull() ? null : until));
        }
      }
    }
    return out;
  }

  /**
   * Up to {@code limit} messages for {@code client} with a sequence above both {@code after} and
   * its cursor and at most {@code horizon} ({@link OrderedWrites#horizon}), in sequence order: one
   * bounded index range read per group with news, merged. {@code lastSeqKept}: see {@link #windowsWithNews}.
   */
  static List<Delivery> fetch(Connection c, String client, long after, int limit, long horizon, boolean lastSeqKept) throws SQLException {
    long from = Math.max(after, cursor(c, client));
    List<Delivery> out = new ArrayList<>();
    if (from >= horizon) {
      return out;
    }
    try (PreparedStatement q = c.prepareStatement("SELECT seq, kind, message FROM ds_log WHERE group_id = ? AND seq > ? AND seq <= ?"
        + " AND sender <> ? ORDER BY seq LIMIT ?")) {
      for (Window w : windowsWithNews(c, client, from, lastSeqKept)) {
        q.setBytes(1, w.gid().unsafeArray());
        q.setLong(2, Math.max(from, w.from()));
        q.setLong(3, Math.min(horizon, w.until() == null ? Long.MAX_VALUE : w.until()));
        q.setString(4, client);
        q.setInt(5, limit);
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            out.add(new Delivery(rs.getLong(1), w.gid(), Kind.of(rs.getInt(2)), Bytes.wrap(rs.getBytes(3))));
          }
        }
      }
    }
    try (PreparedStatement q = c.prepareStatement(
        "SELECT q.seq, q.group_id, q.kind, CASE WHEN q.message_id IS NULL THEN q.message ELSE m.message END"
            + " FROM ds_queue q LEFT JOIN ds_messages m ON m.id = q.message_id"
            + " WHERE q.client_id = ? AND q.seq > ? AND q.seq <= ? ORDER BY q.seq LIMIT ?")) {
      q.setString(1, client);
      q.setLong(2, from);
      q.setLong(3, horizon);
      q.setInt(4, limit);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          out.add(new Delivery(rs.getLong(1), Bytes.wrap(rs.getBytes(2)), Kind.of(rs.getInt(3)), Bytes.wrap(rs.getBytes(4))));
        }
      }
    }
    out.sort(Comparator.comparingLong(Delivery::seq));
    return out.size() > limit ? new ArrayList<>(out.subList(0, limit)) : out;
  }

  /**
   * Groups in which retention deleted entries this device had not read (sent by others, inside its
   * window), while its cursor and {@code after} are below the last of them: its state there is
   * behind for good, it rejoins (external commit).
   */
  static List<Bytes> expired(Connection c, String client, long after) throws SQLException {
    long from = Math.max(after, cursor(c, client));
    List<Bytes> out = new ArrayList<>();
    try (PreparedStatement q = c.prepareStatement("SELECT group_id FROM ds_expired WHERE client_id = ? AND upto_seq > ?")) {
      q.setString(1, client);
      q.setLong(2, from);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          out.add(Bytes.wrap(rs.getBytes(1)));
        }
      }
    }
    return out;
  }

  /** Those of {@code clients} with at least {@code n} items waiting in their own queue (Welcomes), in batches. */
  static List<String> queuedAtLeast(Connection c, java.util.Collection<String> clients, int n) throws SQLException {
    List<String> out = new ArrayList<>();
    List<String> all = new ArrayList<>(clients);
    for (int from = 0; from < all.size(); from += 500) {
      List<String> chunk = all.subList(from, Math.min(all.size(), from + 500));
      String marks = String.join(", ", java.util.Collections.nCopies(chunk.size(), "?"));
      try (PreparedStatement q = c.prepareStatement(
          "SELECT client_id FROM ds_queue WHERE client_id IN (" + marks + ") GROUP BY client_id HAVING COUNT(*) >= ?")) {
        for (int i = 0; i < chunk.size(); i++) {
          q.setString(i + 1, chunk.get(i));
        }
        q.setInt(chunk.size() + 1, n);
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      }
    }
    return out;
  }

  /**
   * Pruning. Entries older than {@code cutoff} (epoch seconds) go, and each device that had not
   * read one of them (see {@link #expired}) is marked; then, per group, every entry that all
   * its readers (members and departed devices still reading to their window's end) have passed.
   * Device items older than the cutoff and bodies nobody refers to go too. Returns entries deleted.
   */
  static int prune(Connection c, long cutoff) throws SQLException {
    // Readers with an unread entry (not their own, inside their window) among those about to go.
    // Per group with expiring entries only (none: one index probe), and per reader that is behind
    // the last of them only (one bounded index read each): pruning never scans a large group whole.
    List<Object[]> expiring = new ArrayList<>();
    try (PreparedStatement q = c.prepareStatement("SELECT group_id, MAX(seq) FROM ds_log WHERE at < ? GROUP BY group_id")) {
      q.setLong(1, cutoff);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          expiring.add(new Object[] {rs.getBytes(1), rs.getLong(2)});
        }
      }
    }
    List<Object[]> behind = new ArrayList<>();
    try (PreparedStatement readers = c.prepareStatement("SELECT m.client_id, m.from_seq, m.until_seq, COALESCE(k.acked, 0)"
        + " FROM ds_group_members m LEFT JOIN ds_cursors k ON k.client_id = m.client_id"
        + " WHERE m.group_id = ? AND COALESCE(k.acked, 0) < ? AND m.from_seq < ?");
        PreparedStatement unread = c.prepareStatement("SELECT 1 FROM ds_log WHERE group_id = ? AND seq > ? AND seq <= ? AND at < ?"
            + " AND sender <> ? LIMIT 1")) {
      for (Object[] g : expiring) {
        long hi = (Long) g[1];
        readers.setBytes(1, (byte[]) g[0]);
        readers.setLong(2, hi);
        readers.setLong(3, hi);
        try (ResultSet rs = readers.executeQuery()) {
          while (rs.next()) {
            String client = rs.getString(1);
            long from = rs.getLong(2);
            long until = rs.getLong(3);
            long upper = rs.wasNull() ? hi : Math.min(hi, until);
            long lower = Math.max(from, rs.getLong(4));
            if (lower >= upper) {
              continue;
            }
            unread.setBytes(1, (byte[]) g[0]);
            unread.setLong(2, lower);
            unread.setLong(3, upper);
            unread.setLong(4, cutoff);
            unread.setString(5, client);
            try (ResultSet u = unread.executeQuery()) {
              if (u.next()) {
                behind.add(new Object[] {client, g[0], hi});
              }
            }
          }
        }
      }
    }
    try (PreparedStatement d = c.prepareStatement("DELETE FROM ds_expired WHERE client_id = ? AND group_id = ?");
        PreparedStatement ins = c.prepareStatement("INSERT INTO ds_expired (client_id, group_id, upto_seq) VALUES (?, ?, ?)")) {
      for (Object[] b : behind) {
        d.setString(1, (String) b[0]);
        d.setBytes(2, (byte[]) b[1]);
        d.addBatch();
        ins.setString(1, (String) b[0]);
        ins.setBytes(2, (byte[]) b[1]);
        ins.setLong(3, (Long) b[2]);
        ins.addBatch();
      }
      d.executeBatch();
      ins.executeBatch();
    }
    int n;
    try (PreparedStatement d = c.prepareStatement("DELETE FROM ds_log WHERE at < ?")) {
      d.setLong(1, cutoff);
      n = d.executeUpdate();
    }
    // Per group, each reader's position: its cursor, or the start of its window if that is later.
    // An entry goes when every reader but its sender has passed it (a sender never reads its own).
    java.util.Map<Bytes, List<Object[]>> positions = new java.util.HashMap<>();
    try (PreparedStatement q = c.prepareStatement("SELECT m.group_id, m.client_id, CASE WHEN COALESCE(k.acked, 0) > m.from_seq"
        + " THEN COALESCE(k.acked, 0) ELSE m.from_seq END FROM ds_group_members m LEFT JOIN ds_cursors k"
        + " ON k.client_id = m.client_id"); ResultSet rs = q.executeQuery()) {
      while (rs.next()) {
        positions.computeIfAbsent(Bytes.wrap(rs.getBytes(1)), g -> new ArrayList<>()).add(new Object[] {rs.getString(2), rs.getLong(3)});
      }
    }
    // Two range deletes per group (an OR would defeat the (group_id, seq) index).
    try (PreparedStatement passed = c.prepareStatement("DELETE FROM ds_log WHERE group_id = ? AND seq <= ?");
        PreparedStatement own = c.prepareStatement("DELETE FROM ds_log WHERE group_id = ? AND seq > ? AND seq <= ? AND sender = ?")) {
      for (java.util.Map.Entry<Bytes, List<Object[]>> e : positions.entrySet()) {
        List<Object[]> readers = e.getValue();
        readers.sort(Comparator.comparingLong(r -> (Long) r[1]));
        long slowest = (Long) readers.get(0)[1];
        passed.setBytes(1, e.getKey().unsafeArray());
        passed.setLong(2, slowest);
        passed.addBatch();
        own.setBytes(1, e.getKey().unsafeArray());
        own.setLong(2, slowest);
        own.setLong(3, readers.size() > 1 ? (Long) readers.get(1)[1] : Long.MAX_VALUE);
        own.setString(4, (String) readers.get(0)[0]);
        own.addBatch();
      }
      for (PreparedStatement d : new PreparedStatement[] {passed, own}) {
        for (int k : d.executeBatch()) {
          n += Math.max(0, k);
        }
      }
    }
    try (PreparedStatement d = c.prepareStatement("DELETE FROM ds_queue WHERE enqueued_at < ?")) {
      d.setLong(1, cutoff);
      n += d.executeUpdate();
    }
    try (PreparedStatement d = c.prepareStatement("DELETE FROM ds_messages WHERE NOT EXISTS"
        + " (SELECT 1 FROM ds_queue q WHERE q.message_id = ds_messages.id)")) {
      d.executeUpdate();
    }
    return n;
  }

  /** Stored message bodies: log entries and bodies addressed to single devices (operator metric, tests). */
  static long stored(Connection c) throws SQLException {
    long n = 0;
    for (String table : new String[] {"ds_log", "ds_messages"}) {
      try (PreparedStatement q = c.prepareStatement("SELECT COUNT(*) FROM " + table); ResultSet rs = q.executeQuery()) {
        rs.next();
        n += rs.getLong(1);
      }
    }
    return n;
  }
}
