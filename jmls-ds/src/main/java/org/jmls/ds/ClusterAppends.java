package org.jmls.ds;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jmls.Bytes;
import org.jmls.ds.GroupDirectory.Appended;
import org.jmls.ds.GroupDirectory.Kind;
import org.jmls.service.ClusterBus;
import org.jmls.service.Database;

/**
 * What the writers of every node on one PostgreSQL appended, announced to this node's live delivery
 * (push sessions, long-polls) in one order, the order the transactions committed, which is the
 * order of their sequence numbers (every append takes its numbers from one row, held until commit:
 * {@link DeliveryLog#reserve}).
 *
 * <p>Each appending transaction publishes, inside itself, {@code token first last [entries]} on the
 * {@link ClusterBus} ({@value #TOPIC}): the range of sequence numbers it took, and the entries
 * themselves when they fit ({@link #inline}). Every node hears it after the commit, in commit order.
 * The node that wrote it announces the entries it kept in memory under the token; the others
 * announce the entries carried, or read the range back from the database, only for the devices
 * online there.
 * A node's own appends wait for their own notification rather than being announced at once: an
 * append of another node committed just before would otherwise reach a session after a later one,
 * and a session never goes back (it pushes above what it last pushed).
 *
 * <p>When the bus lost its connection for a while, notifications may be missing: every session
 * drains what it is owed from the database ({@link #onResync}).
 */
public final class ClusterAppends {
  static final String TOPIC = "ds.appended";
  /** Most appends kept in memory awaiting their own notification; beyond, they are read back like another node's. */
  static final int PENDING_LIMIT = 10_000;

  private final Database db;
  private final ClusterBus bus;
  private final Map<Long, List<Appended>> pending = new ConcurrentHashMap<>();
  private final AtomicLong tokens = new AtomicLong();
  private volatile Supplier<Set<String>> online = Set::of;
  private volatile Consumer<List<Appended>> deliver = a -> {};
  private volatile Runnable resync = () -> {};

  ClusterAppends(Database db, ClusterBus bus) {
    this.db = db;
    this.bus = bus;
    bus.subscribe(TOPIC, new ClusterBus.Subscriber() {
      @Override
      public void message(ClusterBus.Message m) {
        heard(m);
      }

      @Override
      public void resync() {
        pending.clear();
        resync.run();
      }
    });
  }

  /** Where announcements go: {@code deliver} with entries for the devices {@code online} here; {@code resync} after lost notifications. */
  void listen(Supplier<Set<String>> online, Consumer<List<Appended>> deliver, Runnable resync) {
    this.online = online;
    this.deliver = deliver;
    this.resync = resync;
  }

  /** Inside an appending transaction: announces its entries at commit. The token, to {@link #discard} if it does not commit. */
  long publish(Connection c, List<Appended> appended) throws SQLException {
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    for (Appended a : appended) {
      first = Math.min(first, a.seq());
      last = Math.max(last, a.seq());
    }
    long token = tokens.incrementAndGet();
    if (pending.size() < PENDING_LIMIT) {
      pending.put(token, List.copyOf(appended));
    }
    String head = token + " " + first + " " + last;
    String inline = inline(appended, ClusterBus.MAX_DATA - head.length() - 1);
    bus.publish(c, TOPIC, inline == null ? head : head + " " + inline);
    return token;
  }

  /**
   * The entries themselves, when they fit in a notification (small messages to small groups, the
   * common case): the other nodes then need not read them back. Base64 of, per entry: uint64 seq,
   * uint8 kind code, group_id&lt;V&gt;, sender&lt;V&gt;, message&lt;V&gt;, uint16 count, then each
   * reader&lt;V&gt;. Null when they do not fit in {@code room} characters.
   */
  static String inline(List<Appended> appended, int room) {
    long estimate = 0;
    for (Appended a : appended) {
      estimate += 16 + a.groupId().length() + a.sender().length() + a.message().length();
      for (String r : a.readers()) {
        estimate += 2 + r.length();
      }
    }
    if (estimate * 4 / 3 + 4 > room) {
      return null; // UTF-8 of ids may be longer than their length: checked again below
    }
    org.jmls.codec.TlsWriter w = new org.jmls.codec.TlsWriter((int) estimate + 64);
    for (Appended a : appended) {
      w.u64(a.seq()).u8(a.kind().code).opaque(a.groupId()).opaque(a.sender().getBytes(java.nio.charset.StandardCharsets.UTF_8))
          .opaque(a.message()).u16(a.readers().size());
      for (String r : a.readers()) {
        w.opaque(r.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    String out = java.util.Base64.getEncoder().encodeToString(w.toByteArray());
    return out.length() <= room ? out : null;
  }

  /** The entries of {@link #inline}, with their readers narrowed to {@code here}; null when the data does not decode. */
  static List<Appended> inlined(String data, Set<String> here) {
    try {
      org.jmls.codec.TlsReader r = new org.jmls.codec.TlsReader(java.util.Base64.getDecoder().decode(data));
      List<Appended> out = new ArrayList<>();
      while (r.remaining() > 0) {
        long seq = r.u64();
        Kind kind = Kind.of(r.u8());
        Bytes gid = r.opaque();
        String sender = new String(r.opaque().unsafeArray(), java.nio.charset.StandardCharsets.UTF_8);
        Bytes message = r.opaque();
        int n = r.u16();
        Set<String> readers = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
          String reader = new String(r.opaque().unsafeArray(), java.nio.charset.StandardCharsets.UTF_8);
          if (here.contains(reader)) {
            readers.add(reader);
          }
        }
        if (!readers.isEmpty()) {
          out.add(new Appended(seq, gid, kind, sender, message, Set.copyOf(readers)));
        }
      }
      return out;
    } catch (org.jmls.codec.DecodeException | IllegalArgumentException e) {
      return null;
    }
  }

  /** A transaction that published under {@code token} did not commit: nothing will be heard of it. */
  void discard(long token) {
    pending.remove(token);
  }

  private void heard(ClusterBus.Message m) {
    String[] f = m.data().split(" ");
    if (f.length != 3 && f.length != 4) {
      return;
    }
    long token;
    long first;
    long last;
    try {
      token = Long.parseLong(f[0]);
      first = Long.parseLong(f[1]);
      last = Long.parseLong(f[2]);
    } catch (NumberFormatException e) {
      return;
    }
    List<Appended> mine = bus.mine(m) ? pending.remove(token) : null;
    if (mine != null) {
      deliver.accept(mine);
      return;
    }
    Set<String> here = online.get();
    if (here.isEmpty()) {
      return;
    }
    List<Appended> carried = f.length == 4 ? inlined(f[3], here) : null;
    if (carried != null) {
      if (!carried.isEmpty()) {
        deliver.accept(carried);
      }
      return;
    }
    try {
      List<Appended> read = db.read(c -> read(c, first, last, Set.copyOf(here)));
      if (!read.isEmpty()) {
        deliver.accept(read);
      }
    } catch (SQLException e) {
      resync.run(); // the database did not answer: the sessions drain what they are owed when it does
    }
  }

  /** The entries with sequence numbers in [{@code first}, {@code last}] that reach any of {@code clients}, with those as readers. */
  static List<Appended> read(Connection c, long first, long last, Set<String> clients) throws SQLException {
    Array ids = c.createArrayOf("text", clients.toArray());
    TreeMap<Long, Appended> out = new TreeMap<>();
    record Row(long seq, Bytes gid, Kind kind, String sender, Bytes message) {}
    List<Row> rows = new ArrayList<>();
    try (PreparedStatement q = c.prepareStatement("SELECT seq, group_id, kind, sender, message FROM ds_log WHERE seq >= ? AND seq <= ? ORDER BY seq")) {
      q.setLong(1, first);
      q.setLong(2, last);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          rows.add(new Row(rs.getLong(1), Bytes.wrap(rs.getBytes(2)), Kind.of(rs.getInt(3)), rs.getString(4), Bytes.wrap(rs.getBytes(5))));
        }
      }
    }
    // Each group's members among the clients, with their windows (a device reads entries in (from_seq, until_seq]).
    Map<Bytes, List<Object[]>> windows = new HashMap<>();
    try (PreparedStatement q = c.prepareStatement("SELECT client_id, from_seq, until_seq FROM ds_group_members WHERE group_id = ? AND client_id = ANY(?)")) {
      for (Row r : rows) {
        if (!windows.containsKey(r.gid())) {
          List<Object[]> w = new ArrayList<>();
          q.setBytes(1, r.gid().unsafeArray());
          q.setArray(2, ids);
          try (ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
              long until = rs.getLong(3);
              if (rs.wasNull()) {
                until = Long.MAX_VALUE; // still a member
              }
              w.add(new Object[] {rs.getString(1), rs.getLong(2), until});
            }
          }
          windows.put(r.gid(), w);
        }
      }
    }
    for (Row r : rows) {
      Set<String> readers = new LinkedHashSet<>();
      for (Object[] w : windows.get(r.gid())) {
        if (r.seq() > (long) w[1] && r.seq() <= (long) w[2] && !w[0].equals(r.sender())) {
          readers.add((String) w[0]);
        }
      }
      if (!readers.isEmpty()) {
        out.put(r.seq(), new Appended(r.seq(), r.gid(), r.kind(), r.sender(), r.message(), readers));
      }
    }
    // Entries addressed to single devices (Welcomes; a follower's deliveries from its hub).
    Map<Long, Set<String>> queued = new HashMap<>();
    try (PreparedStatement q = c.prepareStatement(
        "SELECT q.seq, q.group_id, q.kind, CASE WHEN q.message_id IS NULL THEN q.message ELSE m.message END, q.client_id"
            + " FROM ds_queue q LEFT JOIN ds_messages m ON m.id = q.message_id WHERE q.seq >= ? AND q.seq <= ? AND q.client_id = ANY(?)")) {
      q.setLong(1, first);
      q.setLong(2, last);
      q.setArray(3, ids);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          long seq = rs.getLong(1);
          Set<String> readers = queued.computeIfAbsent(seq, s -> new HashSet<>());
          readers.add(rs.getString(5));
          out.put(seq, new Appended(seq, Bytes.wrap(rs.getBytes(2)), Kind.of(rs.getInt(3)), "", Bytes.wrap(rs.getBytes(4)), readers));
        }
      }
    }
    List<Appended> list = new ArrayList<>();
    for (Appended a : out.values()) {
      list.add(new Appended(a.seq(), a.groupId(), a.kind(), a.sender(), a.message(), Set.copyOf(a.readers())));
    }
    return list;
  }
}
