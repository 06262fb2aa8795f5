package org.jmls.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Leases on one real PostgreSQL, as two nodes would take them: one holder at a time; a waiter gets
 * the lease as soon as the holder gives it up or its session is killed; a holder whose session was
 * killed learns it at its next probe; a waiter told to stop returns without it.
 */
class LeaseTest {
  /** Waits (polling the database, bounded) until {@code n} sessions wait for an advisory lock. */
  private static void awaitWaiters(Database db, int n) throws Exception {
    long deadline = System.currentTimeMillis() + 20_000;
    while (true) {
      int waiting = db.read(c -> {
        try (Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")) {
          rs.next();
          return rs.getInt(1);
        }
      });
      if (waiting == n) {
        return;
      }
      assertTrue(System.currentTimeMillis() < deadline, "sessions waiting for the lease: " + waiting + ", expected " + n);
      Thread.onSpinWait();
    }
  }

  @Test
  void oneHolderAtATime_theWaiterTakesItWhenTheHolderLeavesOrDies() throws Exception {
    try (Database db = Databases.freshWith("postgres", "db/test")) {
      Lease a = Lease.take(db, "deliver example.org", () -> true);
      assertTrue(a.held());
      // Another name is another lease.
      try (Lease other = Lease.take(db, "deliver example.net", () -> true)) {
        assertTrue(other.held());
      }
      CompletableFuture<Lease> b = CompletableFuture.supplyAsync(() -> {
        try {
          return Lease.take(db, "deliver example.org", () -> true);
        } catch (java.sql.SQLException e) {
          throw new IllegalStateException(e);
        }
      });
      awaitWaiters(db, 1);
      assertFalse(b.isDone(), "the second taker waits while the first holds the lease");
      a.close();
      assertFalse(a.held());
      Lease bHeld = b.get(20, TimeUnit.SECONDS);
      assertTrue(bHeld.held());

      // The holder's session killed (as when its process dies): a waiter takes over, and the old
      // holder's next probe says it no longer holds it.
      int pid = pidOf(bHeld);
      CompletableFuture<Lease> c = CompletableFuture.supplyAsync(() -> {
        try {
          return Lease.take(db, "deliver example.org", () -> true);
        } catch (java.sql.SQLException e) {
          throw new IllegalStateException(e);
        }
      });
      awaitWaiters(db, 1);
      db.read(x -> {
        try (Statement s = x.createStatement()) {
          s.execute("SELECT pg_terminate_backend(" + pid + ")");
        }
        return null;
      });
      Lease cHeld = c.get(20, TimeUnit.SECONDS);
      assertTrue(cHeld.held());
      assertNotEquals(pid, pidOf(cHeld));
      assertFalse(bHeld.held(0), "a holder whose session was killed learns it at its next probe");
      cHeld.close();
    }
  }

  @Test
  void aWaiterToldToStop_returnsWithoutTheLease() throws Exception {
    try (Database db = Databases.freshWith("postgres", "db/test"); Lease a = Lease.take(db, "solo", () -> true)) {
      AtomicBoolean keep = new AtomicBoolean(true);
      CompletableFuture<Lease> b = CompletableFuture.supplyAsync(() -> {
        try {
          return Lease.take(db, "solo", keep::get);
        } catch (java.sql.SQLException e) {
          throw new IllegalStateException(e);
        }
      });
      awaitWaiters(db, 1);
      keep.set(false);
      assertNull(b.get(20, TimeUnit.SECONDS), "given up within one wait (" + Lease.WAIT + ")");
      assertTrue(a.held(0));
      awaitWaiters(db, 0);
    }
  }

  @Test
  void keysDifferByName_andAreStable() {
    assertEquals(Lease.key("deliver example.org"), Lease.key("deliver example.org"));
    assertNotEquals(Lease.key("deliver example.org"), Lease.key("deliver example.com"));
  }

  private static int pidOf(Lease l) throws Exception {
    try (Statement s = l.connection().createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
