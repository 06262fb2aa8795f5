package org.jmls.ds;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jmls.Bytes;
import org.jmls.group.GroupServices;
import org.jmls.service.Database;
import org.jmls.service.Databases;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The one-statement append of application messages on PostgreSQL: its block, rows and notification
 * come out of one statement, and a commit that moves the group's epoch while the statement waits for
 * the group's row is seen, so nothing checked against the old epoch is kept. And the blocks
 * themselves: a voided block makes its appender take another, settling waits for a claim in
 * progress, and the horizon stops at the lowest unsettled block.
 */
class LogAppendTest {
  private static final GroupServices S = GroupServices.development();

  /** The one group: its id and epoch; the log's rows and the next number before the test appends. */
  private record Start(Bytes gid, long epoch, long rows, long next) {}

  /** A database with one group of two, {@code listener} listening on the test channel. */
  private static Start group(Database d, Connection listener) throws Exception {
    listen(listener);
    GroupDirectoryTest.formGroup(new KeyPackageDirectory(d, S), new GroupDirectory(d, S), 2, false);
    Object[] g = d.read(c -> {
      try (PreparedStatement q = c.prepareStatement("SELECT group_id, epoch FROM ds_groups"); ResultSet rs = q.executeQuery()) {
        rs.next();
        return new Object[] {Bytes.wrap(rs.getBytes(1)), rs.getLong(2)};
      }
    });
    return new Start((Bytes) g[0], (Long) g[1], one(d, "SELECT COUNT(*) FROM ds_log"), one(d, NEXT));
  }

  private static final String NEXT = "SELECT next_seq FROM ds_sequence WHERE name = 'delivery'";
  /** Entries in two parts (as when they do not fit in one notification). */
  private static final ClusterAppends.Notice NOTICE = new ClusterAppends.Notice("test_channel", "node-x ds.appended ", List.of(" 1/2 one", " 2/2 two"));

  private static void listen(Connection c) throws java.sql.SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("LISTEN " + NOTICE.channel());
    }
  }

  static long one(Database d, String sql) throws Exception {
    return d.read(c -> {
      try (PreparedStatement q = c.prepareStatement(sql); ResultSet rs = q.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  private static List<LogAppend.Entry> entries(Bytes gid, long epoch, int n) {
    List<LogAppend.Entry> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new LogAppend.Entry(gid, epoch, "s" + i + "@example.com/1", new byte[] {(byte) i, 42}));
    }
    return out;
  }

  /** The next {@code n} notifications on {@code listener}'s channel, in order; fails if they do not come within 10 s. */
  private static List<String> heard(Connection listener, int n) throws Exception {
    List<String> out = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 10_000;
    while (out.size() < n && System.currentTimeMillis() < deadline) {
      PGNotification[] got = listener.unwrap(PGConnection.class).getNotifications((int) Math.max(1, deadline - System.currentTimeMillis()));
      if (got != null) {
        for (PGNotification g : got) {
          if (g.getName().equals(NOTICE.channel())) {
            out.add(g.getParameter());
          }
        }
      }
    }
    assertEquals(n, out.size(), "notifications heard: " + out);
    return out;
  }

  private static LogAppend.Result append(Database d, List<LogAppend.Entry> entries, Map<Bytes, Long> checked, ClusterAppends.Notice notice)
      throws Exception {
    return d.statements(c -> LogAppend.applications(c, entries, checked, 1234, notice));
  }

  @Test
  void append_numbersFromOneClaimedBlock_notifiesTheRange() throws Exception {
    try (Database d = Databases.freshWith("postgres", "db/ds"); Connection listener = d.dedicatedConnection()) {
      Start g = group(d, listener);
      Bytes gid = g.gid();
      long epoch = g.epoch();
      long rows = g.rows();
      LogAppend.Result r = append(d, entries(gid, epoch, 3), Map.of(gid, epoch), NOTICE);
      long first = r.first();
      assertEquals(0, first % Blocks.SIZE, "numbered from the start of a block");
      assertTrue(first > g.next(), "blocks lie above every number handed out before");
      assertEquals(new LogAppend.Result(first, first + 2, true), r);
      assertEquals(1, one(d, "SELECT COUNT(*) FROM ds_blocks WHERE state = 'done' AND block = " + Blocks.of(first)));
      assertEquals(rows + 3, one(d, "SELECT COUNT(*) FROM ds_log"));
      for (int i = 0; i < 3; i++) {
        final int k = i;
        Object[] row = d.read(c -> {
          try (PreparedStatement q = c.prepareStatement("SELECT sender, message, epoch, kind, at FROM ds_log WHERE seq = ?")) {
            q.setLong(1, first + k);
            try (ResultSet rs = q.executeQuery()) {
              assertTrue(rs.next(), "entry " + k + " is at first + " + k);
              return new Object[] {rs.getString(1), rs.getBytes(2), rs.getLong(3), rs.getInt(4), rs.getLong(5)};
            }
          }
        });
        assertEquals("s" + i + "@example.com/1", row[0]);
        assertArrayEquals(new byte[] {(byte) i, 42}, (byte[]) row[1]);
        assertEquals(epoch, row[2]);
        assertEquals(GroupDirectory.Kind.APPLICATION.code, row[3]);
        assertEquals(1234L, row[4]);
      }
      List<String> heard = heard(listener, 2);
      String range = "node-x ds.appended " + first + " " + (first + 2);
      assertEquals(java.util.Set.of(range + " 1/2 one", range + " 2/2 two"), java.util.Set.copyOf(heard));
      // The next append has the next block.
      assertEquals(first + Blocks.SIZE, append(d, entries(gid, epoch, 1), Map.of(gid, epoch), null).first());
    }
  }

  @Test
  void epochMovedWhileWaitingForTheGroup_nothingWritten_blockStillClaimedAndNotified_unmoved_blockAfterTheHolders() throws Exception {
    try (Database d = Databases.freshWith("postgres", "db/ds"); Connection listener = d.dedicatedConnection()) {
      Start g = group(d, listener);
      Bytes gid = g.gid();
      long epoch = g.epoch();
      long rows = g.rows();
      // A commit holds the group's row, claims a block and moves the epoch; the append waits, then must see it.
      long[] holder = new long[1];
      LogAppend.Result moved = appendBehind(d, gid, epoch, "UPDATE ds_groups SET epoch = epoch + 1", holder);
      assertEquals(holder[0] + Blocks.SIZE, moved.first(), "the append's block is taken after the holder's");
      assertEquals(new LogAppend.Result(moved.first(), moved.first() + 1, false), moved);
      assertEquals(rows, one(d, "SELECT COUNT(*) FROM ds_log"), "nothing checked against the old epoch was written");
      assertEquals(1, one(d, "SELECT COUNT(*) FROM ds_blocks WHERE state = 'done' AND block = " + Blocks.of(moved.first())));
      // The same wait with the epoch left alone: written, in a block after the holder's.
      LogAppend.Result unmoved = appendBehind(d, gid, epoch + 1, "SELECT 1 FROM ds_groups FOR UPDATE", holder);
      assertEquals(new LogAppend.Result(holder[0] + Blocks.SIZE, holder[0] + Blocks.SIZE + 1, true), unmoved);
      assertEquals(rows + 2, one(d, "SELECT COUNT(*) FROM ds_log"));
      // The moved range once (PostgreSQL folds a transaction's identical notifications), without
      // entries; the written one in its two parts.
      List<String> heard = heard(listener, 3);
      assertEquals(List.of("node-x ds.appended " + moved.first() + " " + moved.last()), heard.subList(0, 1), "the range, without entries");
      String written = "node-x ds.appended " + unmoved.first() + " " + unmoved.last();
      assertEquals(java.util.Set.of(written + " 1/2 one", written + " 2/2 two"), java.util.Set.copyOf(heard.subList(1, 3)));
    }
  }

  @Test
  void voidedBlock_appenderTakesAnother_settleWaitsForAClaimInProgress_horizonStopsAtTheUnsettled() throws Exception {
    try (Database d = Databases.freshWith("postgres", "db/ds"); Connection listener = d.dedicatedConnection()) {
      Start g = group(d, listener);
      Bytes gid = g.gid();
      long epoch = g.epoch();
      long next = one(d, "SELECT last_value + 1 FROM ds_block_seq");
      // A node gave up the next block before its appender claimed it: the append takes the one after, whole.
      assertEquals(Boolean.FALSE, d.readCommitted(c -> Blocks.settle(c, next)), "an unclaimed block is void");
      LogAppend.Result r = append(d, entries(gid, epoch, 2), Map.of(gid, epoch), null);
      assertEquals(Blocks.first(next + 1), r.first(), "retried with the next block");
      assertEquals(2, one(d, "SELECT COUNT(*) FROM ds_log WHERE seq >= " + r.first()));
      assertEquals(Blocks.last(next + 1), d.read(Blocks::horizon), "every block up to it is settled");
      // A claim in progress: the horizon stops below it, and settling it waits for its commit.
      try (Connection appender = d.dedicatedConnection()) {
        appender.setAutoCommit(false);
        long held = Blocks.of(Blocks.claim(appender, 1));
        long after = Blocks.of(d.readCommitted(c -> Blocks.claim(c, 1)));
        assertEquals(held + 1, after);
        assertEquals(Blocks.first(held) - 1, d.read(Blocks::horizon), "the uncommitted claim stops the horizon");
        CompletableFuture<Boolean> settle = CompletableFuture.supplyAsync(() -> {
          try {
            return d.readCommitted(c -> Blocks.settle(c, held));
          } catch (java.sql.SQLException e) {
            throw new RuntimeException(e);
          }
        });
        awaitWaitingForLock(d, "INSERT INTO ds_blocks (block, state) VALUES (?, 'void')%".replace("?", "$1"));
        appender.commit();
        assertEquals(Boolean.TRUE, settle.get(30, TimeUnit.SECONDS), "the committed claim wins over the void");
        assertEquals(Blocks.last(after), d.read(Blocks::horizon));
        // An appender that rolls back: its block is void once settled.
        long lost = Blocks.of(Blocks.claim(appender, 1));
        appender.rollback();
        assertEquals(Blocks.first(lost) - 1, d.read(Blocks::horizon));
        assertEquals(Boolean.FALSE, d.readCommitted(c -> Blocks.settle(c, lost)));
        assertEquals(Blocks.last(lost), d.read(Blocks::horizon));
        // The floor: settled blocks below it are pruned, and one below it is read back (a void one has no entries).
        d.readCommitted(c -> {
          Blocks.raiseFloor(c, lost + 1);
          return null;
        });
        assertEquals(0, one(d, "SELECT COUNT(*) FROM ds_blocks WHERE block <= " + lost));
        assertEquals(Blocks.last(lost), d.read(Blocks::horizon), "the horizon does not move back with the rows");
        assertEquals(Boolean.TRUE, d.readCommitted(c -> Blocks.settle(c, lost)));
      }
    }
  }

  /**
   * Appends two entries while another transaction holds the group's row, claims a block (its first
   * number into {@code holder}) and runs {@code meanwhile}, then commits.
   */
  private static LogAppend.Result appendBehind(Database d, Bytes gid, long epoch, String meanwhile, long[] holder) throws Exception {
    try (Connection h = d.dedicatedConnection()) {
      h.setAutoCommit(false);
      try (Statement st = h.createStatement()) {
        st.execute(meanwhile);
      }
      holder[0] = Blocks.claim(h, 1);
      CompletableFuture<LogAppend.Result> result = CompletableFuture.supplyAsync(() -> {
        try {
          return append(d, entries(gid, epoch, 2), Map.of(gid, epoch), NOTICE);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      awaitWaitingForLock(d, "WITH g AS (SELECT g.epoch%");
      h.commit();
      return result.get(30, TimeUnit.SECONDS);
    }
  }

  /** Until a backend running a statement that starts with {@code query} waits for a lock (read from pg_stat_activity, the event itself). */
  static void awaitWaitingForLock(Database d, String query) throws Exception {
    try (Connection watcher = d.dedicatedConnection();
        PreparedStatement q = watcher.prepareStatement("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            + " AND query LIKE ?")) {
      watcher.setAutoCommit(true);
      q.setString(1, query);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        try (ResultSet rs = q.executeQuery()) {
          rs.next();
          if (rs.getLong(1) > 0) {
            return;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the statement never waited for a lock: " + query);
        }
        Thread.onSpinWait();
      }
    }
  }
}
