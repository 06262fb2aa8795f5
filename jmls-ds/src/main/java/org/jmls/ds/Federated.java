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
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.jmls.Bytes;
import org.jmls.ds.GroupDirectory.Appended;
import org.jmls.ds.GroupDirectory.Kind;
import org.jmls.service.Database;

/**
 * Delivery between providers, in the DS's own terms (RFC 9750 §6.10; MIMI's hub and followers).
 *
 * <p><b>At the hub</b> (the provider hosting a group), other providers' devices are members like
 * any: the log, membership windows and Welcome rows serve them as they serve local devices. What
 * a peer provider is owed is what its devices would read ({@link #outbox}): each entry once, with
 * the peer's devices that read it. The peer's acknowledgement moves its cursor ({@code
 * ds_peer_cursors}, {@link #acknowledge}). So the outbox is durable (it is the log), ordered, and
 * resent from the last acknowledged entry after any failure; nothing else is stored.
 *
 * <p><b>At a follower</b>, entries from a hub are stored once each ({@link #receive}: a resent
 * batch is recognised by the hub's sequence numbers) and addressed to the local devices named as
 * readers, under this DS's own sequence numbers, so those devices read, acknowledge and are pushed
 * to exactly as for local groups. The group is then known as hosted by that hub, which is where
 * its devices' posts go ({@link GroupRelay}).
 */
public final class Federated {
  /** An entry of a hub's outbox: the hub's sequence number, the group, kind, message, and the peer's devices that read it. */
  public record Entry(long seq, Bytes groupId, Kind kind, Bytes message, List<String> readers) {}

  private final Database db;
  private final OrderedWrites writes;
  /** Group → hub; a group's hub never changes, so entries never go stale (every node may keep them). */
  private final Map<Bytes, String> hubs = new ConcurrentHashMap<>();

  Federated(Database db, OrderedWrites writes) {
    this.db = db;
    this.writes = writes;
  }

  /** Hub: where {@code provider}'s delivery stands (everything up to it acknowledged). */
  public long cursor(String provider) throws SQLException {
    return db.read(c -> peerCursor(c, provider));
  }

  /**
   * What one read of a peer's outbox found: entries in sequence order, and whether they are all that
   * was owed after the read's starting point when it read ({@code complete}; false when cut at its
   * limit, and the rest is read next).
   */
  public record Outbox(List<Entry> entries, boolean complete) {}

  /**
   * Hub: up to {@code limit} entries owed to {@code provider} after {@code after}, in sequence
   * order, each once with all of the provider's devices that read it: log entries inside those
   * devices' membership windows (not their own), and Welcomes queued for them. A few queries per
   * batch, whatever the number of the provider's devices; read without waiting for the writer (a
   * delivery loop keeps its place in memory and acknowledges now and then).
   */
  public Outbox outbox(String provider, long after, int limit) throws SQLException {
    return db.read(c -> {
      if (db.dialect() == Database.Dialect.POSTGRESQL) {
        // One snapshot for all the statements: under READ COMMITTED each would see later commits, and
        // a Welcome seen by the last could lie beyond a log entry committed after the first ran.
        try (java.sql.Statement s = c.createStatement()) {
          s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
        }
      }
      return readAfter(c, provider, after, writes.horizon(c), limit);
    });
  }

  private static final String LOG_READERS = " FROM ds_log l"
      + " JOIN ds_group_members m ON m.group_id = l.group_id AND l.seq > m.from_seq AND (m.until_seq IS NULL OR l.seq <= m.until_seq)"
      + " JOIN ds_remote_clients r ON r.client_id = m.client_id WHERE r.provider = ? AND l.sender <> m.client_id";
  private static final String QUEUED_FOR = " FROM ds_queue q JOIN ds_remote_clients r ON r.client_id = q.client_id"
      + " LEFT JOIN ds_messages m ON m.id = q.message_id WHERE r.provider = ?";

  /**
   * Log entries and queued Welcomes are read apart, each as its first {@code limit} sequence numbers
   * and then every reader row of those, so an entry is never cut between its devices; the first
   * {@code limit} of both lie within what each source read.
   */
  private static Outbox readAfter(Connection c, String provider, long after, long horizon, int limit) throws SQLException {
    TreeMap<Long, Entry> entries = new TreeMap<>();
    Map<Long, Set<String>> readers = new TreeMap<>();
    boolean logCut = readSource(c, "SELECT DISTINCT l.seq" + LOG_READERS + " AND l.seq > ? AND l.seq <= ? ORDER BY l.seq LIMIT ?",
        "SELECT l.seq, l.group_id, l.kind, l.message, m.client_id" + LOG_READERS + " AND l.seq >= ? AND l.seq <= ? ORDER BY l.seq",
        provider, after, horizon, limit, entries, readers);
    boolean queueCut = readSource(c, "SELECT DISTINCT q.seq" + QUEUED_FOR + " AND q.seq > ? AND q.seq <= ? ORDER BY q.seq LIMIT ?",
        "SELECT q.seq, q.group_id, q.kind, CASE WHEN q.message_id IS NULL THEN q.message ELSE m.message END, q.client_id"
            + QUEUED_FOR + " AND q.seq >= ? AND q.seq <= ? ORDER BY q.seq",
        provider, after, horizon, limit, entries, readers);
    List<Entry> out = new ArrayList<>();
    for (Entry e : entries.values()) {
      if (out.size() == limit) {
        break;
      }
      out.add(new Entry(e.seq(), e.groupId(), e.kind(), e.message(), List.copyOf(readers.get(e.seq()))));
    }
    return new Outbox(out, !logCut && !queueCut && entries.size() <= limit);
  }

  /**
   * Reads one source's first {@code limit} sequence numbers after {@code after} and up to the
   * horizon ({@code numbers}; see {@link OrderedWrites#horizon}), then all their rows ({@code rows},
   * between the first and the last); whether the limit cut it.
   */
  private static boolean readSource(Connection c, String numbers, String rows, String provider, long after, long horizon, int limit,
      TreeMap<Long, Entry> entries, Map<Long, Set<String>> readers) throws SQLException {
    long first = -1;
    long last = -1;
    int count = 0;
    try (PreparedStatement q = c.prepareStatement(numbers)) {
      q.setString(1, provider);
      q.setLong(2, after);
      q.setLong(3, horizon);
      q.setInt(4, limit);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          last = rs.getLong(1);
          if (first < 0) {
            first = last;
          }
          count++;
        }
      }
    }
    if (first >= 0) {
      try (PreparedStatement q = c.prepareStatement(rows)) {
        q.setString(1, provider);
        q.setLong(2, first);
        q.setLong(3, last);
        add(q, entries, readers);
      }
    }
    return count == limit;
  }

  private static void add(PreparedStatement q, TreeMap<Long, Entry> entries, Map<Long, Set<String>> readers) throws SQLException {
    try (ResultSet rs = q.executeQuery()) {
      while (rs.next()) {
        long seq = rs.getLong(1);
        if (!entries.containsKey(seq)) {
          entries.put(seq, new Entry(seq, Bytes.wrap(rs.getBytes(2)), Kind.of(rs.getInt(3)), Bytes.wrap(rs.getBytes(4)), List.of()));
        }
        readers.computeIfAbsent(seq, k -> new LinkedHashSet<>()).add(rs.getString(5));
      }
    }
  }

  private static long peerCursor(Connection c, String provider) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT acked FROM ds_peer_cursors WHERE provider = ?")) {
      q.setString(1, provider);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  /** Hub: {@code provider} stored everything up to {@code upto}: its cursor moves there, the Welcomes it took are deleted. */
  public void acknowledge(String provider, long upto) throws SQLException {
    db.transaction(c -> {
      acknowledge(c, provider, upto);
      return null;
    });
  }

  private static void acknowledge(Connection c, String provider, long upto) throws SQLException {
    if (upto <= peerCursor(c, provider)) {
      return;
    }
    setPerPeer(c, "ds_peer_cursors", "acked", provider, upto);
    try (PreparedStatement d = c.prepareStatement("DELETE FROM ds_queue WHERE seq <= ? AND client_id IN"
        + " (SELECT client_id FROM ds_remote_clients WHERE provider = ?)")) {
      d.setLong(1, upto);
      d.setString(2, provider);
      d.executeUpdate();
    }
  }

  /**
   * The hub of {@code gid} if this node has already seen that it is hosted elsewhere, else null,
   * without asking the database. A group once hosted elsewhere stays so, and is never also hosted
   * here ({@link GroupDirectory#create} refuses its id).
   */
  String knownHub(Bytes gid) {
    return hubs.get(gid);
  }

  /** Follower: the hub of {@code gid}, or null when it is not a group hosted elsewhere. */
  public String hubOf(Bytes gid) throws SQLException {
    String known = hubs.get(gid);
    if (known != null) {
      return known;
    }
    String hub = db.transaction(c -> {
      try (PreparedStatement q = c.prepareStatement("SELECT hub FROM ds_hosted_elsewhere WHERE group_id = ?")) {
        q.setBytes(1, gid.unsafeArray());
        try (ResultSet rs = q.executeQuery()) {
          return rs.next() ? rs.getString(1) : null;
        }
      }
    });
    if (hub != null) {
      hubs.put(gid, hub);
    }
    return hub;
  }

  private final Object receivedSignal = new Object();

  /** Per hub, the last sequence this node stored from it (a floor: another node on one PostgreSQL may have stored more). */
  private final Map<String, Long> receivedHere = new ConcurrentHashMap<>();

  /**
   * Follower: waits until everything from {@code hub} up to {@code seq} is stored (a pipelined
   * batch waits for the one before it); false if {@code millis} passed first. Signalled by this
   * node's stores, and rereads the database every 20 ms for another node's.
   */
  public boolean awaitReceived(String hub, long seq, long millis) throws SQLException, InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    // This node's own stores first (no database read); then a reader connection, not queued behind the writer it waits for.
    while (receivedHere.getOrDefault(hub, 0L) < seq && db.read(c -> lastReceived(c, hub)) < seq) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return false;
      }
      synchronized (receivedSignal) {
        receivedSignal.wait(Math.min(left, 20));
      }
    }
    return true;
  }

  /** What {@link #receive} did: the last hub sequence now stored, and entries it would not store, with why. */
  public record Received(long lastSeq, List<String> refused) {}

  /**
   * Follower: stores what {@code hub} sent (in its sequence order; entries at or below the last
   * stored from it are skipped), each addressed to the readers that are devices of {@code
   * localDomain} registered here. An entry of a group hosted here, or by another hub, is refused
   * (a hub speaks for its own groups only).
   */
  public Received receive(String hub, String localDomain, List<Entry> entries) throws SQLException {
    long at = System.currentTimeMillis() / 1000;
    List<String> refused = new ArrayList<>();
    long last = writes.run((c, appended) -> {
      refused.clear();
      long before = lockReceived(c, hub);
      long upto = before;
      // Per batch: what each group is here (hosted here, by which hub); a batch holds many entries of few groups.
      Map<Bytes, String> verdicts = new java.util.HashMap<>();
      List<Entry> stored = new ArrayList<>();
      for (Entry e : entries) {
        if (e.seq() <= upto) {
          continue;
        }
        upto = e.seq();
        String verdict = verdicts.get(e.groupId());
        if (verdict == null) {
          if (GroupRows.row(c, e.groupId()) != null) {
            verdict = "group " + e.groupId().hex() + " is hosted here, not by " + hub;
          } else {
            String host = hostOf(c, e.groupId());
            if (host == null) {
              try (PreparedStatement ins = c.prepareStatement("INSERT INTO ds_hosted_elsewhere (group_id, hub) VALUES (?, ?)")) {
                ins.setBytes(1, e.groupId().unsafeArray());
                ins.setString(2, hub);
                ins.executeUpdate();
              }
              host = hub;
            }
            verdict = host.equals(hub) ? "" : "group " + e.groupId().hex() + " is hosted by " + host + ", not by " + hub;
          }
          verdicts.put(e.groupId(), verdict);
        }
        if (!verdict.isEmpty()) {
          refused.add(e.seq() + ": " + verdict);
          continue;
        }
        List<String> readers = new ArrayList<>();
        for (String d : e.readers()) {
          int slash = d.indexOf('/');
          if (slash > 0 && d.substring(0, slash).endsWith("@" + localDomain) && registered(c, d)) {
            readers.add(d);
          }
        }
        if (readers.isEmpty()) {
          refused.add(e.seq() + ": none of its readers " + e.readers() + " is a device registered here");
        } else {
          stored.add(new Entry(e.seq(), e.groupId(), e.kind(), e.message(), readers));
        }
      }
      // This DS's sequence numbers for the batch at once, then each entry addressed to its readers.
      long seq = stored.isEmpty() ? 0 : writes.reserve(c, stored.size());
      List<DeliveryLog.Addressed> addressed = new ArrayList<>();
      for (Entry e : stored) {
        addressed.add(new DeliveryLog.Addressed(seq, e.groupId(), e.kind(), e.message().unsafeArray(), e.readers()));
        appended.add(new Appended(seq, e.groupId(), e.kind(), "", e.message(), Set.copyOf(e.readers())));
        seq++;
      }
      DeliveryLog.addressAll(c, addressed, at, writes.late()); // the batch in three statements, not three per entry
      if (upto != before) {
        setPerPeer(c, "ds_peer_received", "last_seq", hub, upto);
      }
      return upto;
    });
    receivedHere.merge(hub, last, Math::max);
    synchronized (receivedSignal) {
      receivedSignal.notifyAll();
    }
    return new Received(last, List.copyOf(refused));
  }

  /** Sets a per-peer number ({@code table} keyed by provider; table and column are constants of this class). */
  private static void setPerPeer(Connection c, String table, String column, String provider, long value) throws SQLException {
    try (PreparedStatement u = c.prepareStatement("UPDATE " + table + " SET " + column + " = ? WHERE provider = ?")) {
      u.setLong(1, value);
      u.setString(2, provider);
      if (u.executeUpdate() == 0) {
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + table + " (provider, " + column + ") VALUES (?, ?)")) {
          ins.setString(1, provider);
          ins.setLong(2, value);
          ins.executeUpdate();
        }
      }
    }
  }

  /**
   * {@link #lastReceived}, with {@code hub}'s row locked for the caller's transaction on PostgreSQL,
   * so that two nodes storing one delivery of the hub store it once.
   */
  private long lockReceived(Connection c, String hub) throws SQLException {
    if (!writes.late()) {
      return lastReceived(c, hub);
    }
    try (PreparedStatement ins = c.prepareStatement("INSERT INTO ds_peer_received (provider, last_seq) VALUES (?, 0) ON CONFLICT DO NOTHING")) {
      ins.setString(1, hub);
      ins.executeUpdate();
    }
    try (PreparedStatement q = c.prepareStatement("SELECT last_seq FROM ds_peer_received WHERE provider = ? FOR UPDATE")) {
      q.setString(1, hub);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static long lastReceived(Connection c, String hub) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT last_seq FROM ds_peer_received WHERE provider = ?")) {
      q.setString(1, hub);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  static String hostOf(Connection c, Bytes gid) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT hub FROM ds_hosted_elsewhere WHERE group_id = ?")) {
      q.setBytes(1, gid.unsafeArray());
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /**
   * Devices found registered here. A registration is never withdrawn (a revoked device stays
   * registered and is refused by its credential), so a device once found stays found, on every node.
   */
  private final Set<String> registeredDevices = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private boolean registered(Connection c, String device) throws SQLException {
    if (registeredDevices.contains(device)) {
      return true;
    }
    try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM ds_clients WHERE client_id = ?")) {
      q.setString(1, device);
      try (ResultSet rs = q.executeQuery()) {
        if (rs.next()) {
          if (registeredDevices.size() < 1_000_000) {
            registeredDevices.add(device);
          }
          return true;
        }
        return false;
      }
    }
  }
}
