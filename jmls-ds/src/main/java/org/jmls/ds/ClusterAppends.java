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
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jmls.Bytes;
import org.jmls.ds.GroupDirectory.Appended;
import org.jmls.ds.GroupDirectory.Kind;
import org.jmls.service.ClusterBus;
import org.jmls.service.Database;

/**
 * What the writers of every node on one PostgreSQL appended, announced to this node's live delivery
 * (push sessions, long-polls) in one order: the order of their sequence numbers. Numbers come in
 * blocks ({@link Blocks}), and transactions of different nodes commit in any order, so a block is
 * announced only once every block below it was: this node's horizon ({@link #horizon}), below which
 * every block is settled, and which every read by number respects.
 *
 * <p>Each appending transaction publishes, inside itself, {@code first last [entries]} on the
 * {@link ClusterBus} ({@value #TOPIC}): the numbers it used in its block, and the entries
 * themselves when they fit ({@link #inline}); every other node hears it once it commits. Entries
 * that do not fit in one notification are split over several, up to {@value #MAX_PARTS}, each
 * {@code first last i/n entries} (the parts of one transaction are heard together); beyond that,
 * or when one entry alone does not fit, the other nodes read the block back from the database. A
 * node announces a block when every block below it was announced: its own appends at once when
 * they follow what it has announced, else when the other nodes' earlier blocks have been heard.
 * Without that, a session could get an append of this node before an earlier one of another, and
 * since a session pushes only above what it last pushed (and a device acknowledges up to what it
 * read), the earlier one would be lost to it.
 *
 * <p>A block that stays missing ({@value #GAP_WAIT_MILLIS} ms: its appender died or rolled back, or
 * its notification was lost with the listening connection) is settled in the database ({@link
 * Blocks#settle}): read back if it was claimed, skipped if it is void.
 */
public final class ClusterAppends {
  static final String TOPIC = "ds.appended";
  /** How long announcements wait for a missing earlier block before the node settles it in the database. */
  static final long GAP_WAIT_MILLIS = 2_000;
  /** How often the node moves the block floor up to its horizon and prunes settled blocks below it. */
  static final long FLOOR_EVERY_MILLIS = 30_000;
  /** At most this many notifications carry one transaction's entries (each up to {@link ClusterBus#MAX_DATA}). */
  static final int MAX_PARTS = 32;

  /**
   * A range heard or appended here, waiting for the ranges before it: its entries (this node's), or
   * another node's entries as they came ({@code inline}, decoded only when announced, and only for
   * the devices online here then), or neither to read them back.
   */
  private record Waiting(long last, List<Appended> entries, List<String> inline, long since) {}

  private final Database db;
  private final ClusterBus bus;
  /** Ranges not yet announced, by first sequence number (guarded by this). */
  private final java.util.TreeMap<Long, Waiting> waiting = new java.util.TreeMap<>();
  /** Every sequence number up to this one was announced (or was before this node started). Guarded by this. */
  private long announced;
  /** Ranges of other nodes' entries read back from the database (they did not come in their notifications). */
  private final java.util.concurrent.atomic.AtomicLong readBacks = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong settled = new java.util.concurrent.atomic.AtomicLong();
  /** Parts heard of ranges whose other parts are still to come. Guarded by this. */
  private final Parts parts = new Parts();
  private volatile Supplier<Set<String>> online = Set::of;
  private volatile Consumer<List<Appended>> deliver = a -> {};
  private volatile Runnable resync = () -> {};
  /** Told of every block as it is announced, with all its entries (see {@link #inOrder}); null when nobody listens. */
  private volatile java.util.function.BiConsumer<List<Appended>, Long> inOrder;
  /** Told of each append another node committed, as it is heard (before it is announced), and after a resync; see {@link GroupDirectory#onAppendedElsewhere}. */
  private volatile Runnable elsewhere = () -> {};
  private final java.util.concurrent.ScheduledExecutorService ticks = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "jmls-cluster-gaps");
    t.setDaemon(true);
    return t;
  });

  ClusterAppends(Database db, ClusterBus bus) throws SQLException {
    this.db = db;
    this.bus = bus;
    bus.subscribe(TOPIC, new ClusterBus.Subscriber() {
      @Override
      public void message(ClusterBus.Message m) {
        if (!bus.mine(m)) { // this node's own appends are offered as they commit
          heard(m);
          elsewhere.run();
        }
      }

      @Override
      public void resync() {
        catchUp();
        elsewhere.run(); // other nodes' appends may have gone unheard
      }
    });
    try {
      bus.awaitListening(10_000); // what commits from here on is heard; what committed before is below `announced`
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    announced = db.read(Blocks::horizon);
    ticks.scheduleWithFixedDelay(this::settleGaps, 200, 200, java.util.concurrent.TimeUnit.MILLISECONDS);
    ticks.scheduleWithFixedDelay(this::raiseFloor, FLOOR_EVERY_MILLIS, FLOOR_EVERY_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** Where announcements go: {@code deliver} with entries for the devices {@code online} here; {@code resync} after lost notifications. */
  void listen(Supplier<Set<String>> online, Consumer<List<Appended>> deliver, Runnable resync) {
    this.online = online;
    this.deliver = deliver;
    this.resync = resync;
  }

  /**
   * {@code c} is told of every block this node announces, in the order of the numbers, one call at
   * a time: the block's entries with all their readers (empty for a block without entries), or null
   * when they were not heard (read back from the database for this node's devices only), and the
   * block's last number. Every number up to it is then settled (a reader by number sees it all).
   */
  void inOrder(java.util.function.BiConsumer<List<Appended>, Long> c) {
    this.inOrder = c;
  }

  /** Runs {@code r} for each append another node committed, as it is heard (on the bus's thread: {@code r} must not block). */
  void elsewhere(Runnable r) {
    this.elsewhere = r;
  }

  /** Inside an appending transaction: the other nodes hear of its entries when it commits. */
  void publish(Connection c, List<Appended> appended) throws SQLException {
    long[] range = range(appended);
    String head = range[0] + " " + range[1];
    for (String after : tails(appended, range[0], ClusterBus.MAX_DATA - head.length())) {
      bus.publish(c, TOPIC, head + after);
    }
  }

  /**
   * What follows {@code first last} in each notification of {@code appended} (numbered from {@code
   * first}), each at most {@code room} characters: {@code " entries"} when they fit in one, {@code
   * " i/n entries"} for each of n parts, or one empty tail (read them back).
   */
  static List<String> tails(List<Appended> appended, long first, int room) {
    String one = inline(appended, first, room - 1);
    if (one != null) {
      return List.of(" " + one);
    }
    int partRoom = room - 2 * 3 - 3; // " i/n " with i and n of up to two digits
    List<String> chunks = new ArrayList<>();
    int from = 0;
    long size = 0;
    for (int i = 0; i <= appended.size(); i++) { // runs of entries whose estimate fits, in one pass
      long next = i < appended.size() ? estimate(appended.get(i)) : 0;
      if (i == appended.size() || (i > from && !fits(size + next, partRoom))) {
        String data = inline(appended.subList(from, i), first, partRoom);
        if (data == null || chunks.size() == MAX_PARTS) {
          return List.of(""); // one entry alone does not fit, or too many parts: read back
        }
        chunks.add(data);
        from = i;
        size = 0;
      }
      size += next;
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < chunks.size(); i++) {
      out.add(" " + (i + 1) + "/" + chunks.size() + " " + chunks.get(i));
    }
    return out;
  }

  /** What a statement that numbers its entries itself ({@link LogAppend}) notifies: see {@link #notice}. */
  record Notice(String channel, String before, List<String> after) {}

  /**
   * For a statement that numbers its entries itself ({@link LogAppend}) and notifies with {@code
   * pg_notify(channel, before || first || ' ' || last || after)} for each {@code after} ({@link
   * #tails}), where {@code relative} holds the entries numbered from 0 (their offsets from the first number).
   */
  Notice notice(List<Appended> relative) {
    String[] n = bus.notification(TOPIC);
    return new Notice(n[0], n[1], tails(relative, 0, ClusterBus.MAX_DATA - 2 * 20 - 1)); // room for two numbers of up to 20 characters
  }

  /** Ranges of other nodes' entries this node read back from the database, since it started (operator metric, tests). */
  long readBacks() {
    return readBacks.get();
  }

  /** Blocks this node settled in the database because their notification did not come in time (operator metric, tests). */
  long settled() {
    return settled.get();
  }

  /**
   * Every number up to this one is announced here, and belongs to a block that committed or was
   * given up: reads by number stop here ({@link OrderedWrites#horizon}).
   */
  synchronized long horizon() {
    return announced;
  }

  /** This node's appending transaction committed: its entries are announced in turn. */
  void committed(List<Appended> appended) {
    long[] range = range(appended);
    committed(range[0], range[1], appended);
  }

  /** This node's transaction used {@code first..last} of its block and wrote {@code written} (maybe none) there, committed. */
  void committed(long first, long last, List<Appended> written) {
    offer(first, last, written, null);
  }

  private static long[] range(List<Appended> appended) {
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    for (Appended a : appended) {
      first = Math.min(first, a.seq());
      last = Math.max(last, a.seq());
    }
    return new long[] {first, last};
  }

  private void heard(ClusterBus.Message m) {
    String[] f = m.data().split(" ");
    if (f.length < 2 || f.length > 4) {
      return;
    }
    long first;
    long last;
    try {
      first = Long.parseLong(f[0]);
      last = Long.parseLong(f[1]);
    } catch (NumberFormatException e) {
      return;
    }
    if (first > last) {
      return;
    }
    if (f.length == 4) {
      part(first, last, f[2], f[3]);
      return;
    }
    offer(first, last, null, f.length == 3 ? List.of(f[2]) : null);
  }

  /** Part {@code which} ("i/n") of a range's entries: the range is offered once all n were heard. */
  private synchronized void part(long first, long last, String which, String data) {
    List<String> all = parts.add(first, which, data);
    if (all != null) {
      offer(first, last, null, all);
    }
  }

  /** The parts heard of each range that came in several notifications ({@link #tails}), by its first number. */
  static final class Parts {
    private final Map<Long, String[]> byFirst = new HashMap<>();

    /**
     * Adds part {@code which} ("i/n") of the range from {@code first}: all its parts in order once
     * each of the n came, else null (a malformed or inconsistent part is ignored).
     */
    List<String> add(long first, String which, String data) {
      int slash = which.indexOf('/');
      int i;
      int n;
      try {
        i = Integer.parseInt(which.substring(0, Math.max(0, slash)));
        n = Integer.parseInt(which.substring(slash + 1));
      } catch (NumberFormatException e) {
        return null;
      }
      if (n < 1 || n > MAX_PARTS || i < 1 || i > n) {
        return null;
      }
      String[] got = byFirst.computeIfAbsent(first, k -> new String[n]);
      if (got.length != n) {
        return null;
      }
      got[i - 1] = data;
      for (String g : got) {
        if (g == null) {
          return null;
        }
      }
      byFirst.remove(first);
      return List.of(got);
    }

    /** Ranges waiting for parts (tests). */
    int waiting() {
      return byFirst.size();
    }

    void clear() {
      byFirst.clear();
    }
  }

  /** Adds the block of a range; announces every block that now follows what was announced, in order. */
  private synchronized void offer(long first, long used, List<Appended> entries, List<String> inline) {
    long last = Blocks.last(Blocks.of(first));
    if (used > last) {
      return; // not within one block: not from a node of this version
    }
    if (last <= announced) {
      return; // from before this node listened, or announced already
    }
    waiting.put(first, new Waiting(last, entries, inline, System.currentTimeMillis()));
    release();
  }

  private void release() {
    while (!waiting.isEmpty() && waiting.firstKey() <= announced + 1) {
      Map.Entry<Long, Waiting> next = waiting.pollFirstEntry();
      long first = next.getKey();
      Waiting w = next.getValue();
      java.util.function.BiConsumer<List<Appended>, Long> all = inOrder;
      // Another node's inlined entries are decoded whole only when someone takes them all, then once for both.
      List<Appended> entries = w.entries() == null && w.inline() != null && all != null ? inlined(w.inline(), first, w.last(), null) : w.entries();
      announce(first, w, entries);
      announced = Math.max(announced, w.last());
      if (all != null) {
        all.accept(entries, w.last());
      }
    }
  }

  /** Delivers a block to the devices online here: {@code entries} (all readers; null when not at hand) narrowed to them, else decoded for them only, else read back. */
  private void announce(long first, Waiting w, List<Appended> entries) {
    Set<String> here = online.get();
    if (here.isEmpty()) {
      return;
    }
    List<Appended> list = entries != null ? narrowed(entries, here) : w.inline() == null ? null : inlined(w.inline(), first, w.last(), here);
    if (list == null) {
      readBacks.incrementAndGet();
      try {
        list = db.read(c -> read(c, first, w.last(), Set.copyOf(here)));
      } catch (SQLException e) {
        resync.run(); // the database did not answer: the sessions read what they are owed when it does
        return;
      }
    }
    if (!list.isEmpty()) {
      deliver.accept(list);
    }
  }

  /** {@code entries} with their readers narrowed to {@code here}; those with no reader here left out. */
  private static List<Appended> narrowed(List<Appended> entries, Set<String> here) {
    List<Appended> list = new ArrayList<>();
    for (Appended a : entries) {
      Set<String> readers = new LinkedHashSet<>();
      for (String r : a.readers()) {
        if (here.contains(r)) {
          readers.add(r);
        }
      }
      if (!readers.isEmpty()) {
        list.add(readers.size() == a.readers().size() ? a : new Appended(a.seq(), a.groupId(), a.kind(), a.sender(), a.message(), Set.copyOf(readers)));
      }
    }
    return list;
  }

  /**
   * A block has waited too long for the blocks before it: each of those is settled in the database
   * (waiting for an appender still at work), then read back or skipped.
   */
  private void settleGaps() {
    long from;
    long to;
    synchronized (this) {
      if (waiting.isEmpty() || System.currentTimeMillis() - waiting.firstEntry().getValue().since() <= GAP_WAIT_MILLIS) {
        return;
      }
      from = Blocks.of(announced + 1);
      to = Blocks.of(waiting.firstKey()) - 1;
    }
    for (long b = from; b <= to; b++) {
      long block = b;
      boolean claimed;
      try {
        claimed = db.readCommitted(c -> Blocks.settle(c, block));
      } catch (SQLException | RuntimeException e) {
        return; // the database did not answer: the next tick tries again
      }
      settled.incrementAndGet();
      offer(Blocks.first(block), Blocks.last(block), claimed ? null : List.of(), null); // null entries: read back
    }
    elsewhere.run(); // what waited behind the gap is announced: readers by number may go on
  }

  /** Moves the block floor up to this node's horizon and prunes below it (every block there is settled). */
  private void raiseFloor() {
    long floor = Blocks.of(horizon() + 1);
    try {
      db.readCommitted(c -> {
        Blocks.raiseFloor(c, floor);
        return null;
      });
    } catch (SQLException | RuntimeException e) {
      // the next round moves it
    }
  }

  /**
   * Notifications may have been lost (the bus reconnected): start again from the database's horizon
   * (every block below it is settled), and let sessions read. A block that committed unheard above
   * it is settled when a later one is heard ({@link #settleGaps}).
   */
  private void catchUp() {
    synchronized (this) {
      waiting.clear();
      parts.clear();
      try {
        announced = Math.max(announced, db.read(Blocks::horizon));
      } catch (SQLException e) {
        // keep the old mark: the gap timer moves on
      }
    }
    resync.run();
  }

  /**
   * The entries themselves, when they fit in a notification (small messages to small groups, the
   * common case): the other nodes then need not read them back. Base64 of, per entry: uint32 offset
   * of its seq from {@code first} (so a statement can write it before it knows its numbers), uint8 kind code, group_id&lt;V&gt;, sender&lt;V&gt;, message&lt;V&gt;, uint16 count, then each
   * reader&lt;V&gt;. Null when they do not fit in {@code room} characters.
   */
  static String inline(List<Appended> appended, long first, int room) {
    long estimate = 0;
    for (Appended a : appended) {
      estimate += estimate(a);
    }
    if (!fits(estimate, room)) {
      return null; // UTF-8 of ids may be longer than their length: checked again below
    }
    org.jmls.codec.TlsWriter w = new org.jmls.codec.TlsWriter((int) estimate + 64);
    for (Appended a : appended) {
      long offset = a.seq() - first;
      if (offset < 0 || offset > 0xFFFFFFFFL) {
        return null;
      }
      w.u32((int) offset).u8(a.kind().code).opaque(a.groupId()).opaque(a.sender().getBytes(java.nio.charset.StandardCharsets.UTF_8))
          .opaque(a.message()).u16(a.readers().size());
      for (String r : a.readers()) {
        w.opaque(r.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    String out = java.util.Base64.getEncoder().encodeToString(w.toByteArray());
    return out.length() <= room ? out : null;
  }

  /** About the bytes of one entry in {@link #inline} (ids counted in characters). */
  private static long estimate(Appended a) {
    long n = 16 + a.groupId().length() + a.sender().length() + a.message().length();
    for (String r : a.readers()) {
      n += 2 + r.length();
    }
    return n;
  }

  /** Whether entries of about {@code bytes} may fit in {@code room} characters of base64. */
  private static boolean fits(long bytes, int room) {
    return bytes * 4 / 3 + 4 <= room;
  }

  /** The entries of several parts of {@link #inline}, in turn; null when one does not decode. */
  static List<Appended> inlined(List<String> parts, long first, long last, Set<String> here) {
    if (parts.size() == 1) {
      return inlined(parts.get(0), first, last, here);
    }
    List<Appended> out = new ArrayList<>();
    for (String part : parts) {
      List<Appended> some = inlined(part, first, last, here);
      if (some == null) {
        return null;
      }
      out.addAll(some);
    }
    return out;
  }

  /**
   * The entries of {@link #inline} numbered from {@code first}, with their readers narrowed to {@code
   * here} (null: all); null when the data does not decode or numbers an entry above {@code last}.
   */
  static List<Appended> inlined(String data, long first, long last, Set<String> here) {
    try {
      org.jmls.codec.TlsReader r = new org.jmls.codec.TlsReader(java.util.Base64.getDecoder().decode(data));
      List<Appended> out = new ArrayList<>();
      while (r.remaining() > 0) {
        long seq = first + Integer.toUnsignedLong(r.u32());
        if (seq > last) {
          return null;
        }
        Kind kind = Kind.of(r.u8());
        Bytes gid = r.opaque();
        String sender = new String(r.opaque().unsafeArray(), java.nio.charset.StandardCharsets.UTF_8);
        Bytes message = r.opaque();
        int n = r.u16();
        Set<String> readers = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
          String reader = new String(r.opaque().unsafeArray(), java.nio.charset.StandardCharsets.UTF_8);
          if (here == null || here.contains(reader)) {
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
