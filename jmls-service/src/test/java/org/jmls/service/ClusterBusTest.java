package org.jmls.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Two nodes' buses on one real PostgreSQL: messages arrive at both, at commit, in commit order; a rollback sends nothing. */
class ClusterBusTest {
  private static ClusterBus.Message next(BlockingQueue<ClusterBus.Message> q) throws InterruptedException {
    ClusterBus.Message m = q.poll(10, TimeUnit.SECONDS);
    assertTrue(m != null, "no message within 10 s");
    return m;
  }

  private static void awaitListening(ClusterBus bus) throws InterruptedException {
    assertTrue(bus.awaitListening(10_000));
  }

  @Test
  void publishInTransaction_heardByEveryNodeAtCommitInOrder_rollbackHeardByNone() throws Exception {
    try (Database db = Databases.freshWith("postgres", "db/test"); ClusterBus a = ClusterBus.start("a", db); ClusterBus b = ClusterBus.start("b", db)) {
      BlockingQueue<ClusterBus.Message> atA = new LinkedBlockingQueue<>();
      BlockingQueue<ClusterBus.Message> atB = new LinkedBlockingQueue<>();
      a.on("t", atA::add);
      b.on("t", atB::add);
      a.on("other", m -> atA.add(new ClusterBus.Message(m.sender(), "WRONG", m.data())));
      awaitListening(a);
      awaitListening(b);
      assertThrows(SQLException.class, () -> db.transaction(c -> {
        a.publish(c, "t", "rolled back");
        throw new SQLException("no");
      }));
      db.transaction(c -> {
        a.publish(c, "t", "first");
        return null;
      });
      b.publish("t", "second");
      for (BlockingQueue<ClusterBus.Message> q : List.of(atA, atB)) {
        ClusterBus.Message first = next(q);
        assertEquals("first", first.data());
        assertEquals("second", next(q).data());
        assertTrue(a.mine(first));
        assertFalse(b.mine(first));
      }
      assertNull(atA.poll());
      assertTrue(a.shared());
      assertEquals("a", a.node());
    }
  }

  @Test
  void publish_tooLongOrSpacedTopic_refused_localBusDeliversAtOnce() throws Exception {
    try (Database db = Databases.freshWith("sqlite", "db/test"); ClusterBus local = ClusterBus.start("solo", db)) {
      assertFalse(local.shared());
      assertTrue(local.listening());
      BlockingQueue<ClusterBus.Message> got = new LinkedBlockingQueue<>();
      local.on("t", got::add);
      local.publish("t", "x");
      assertEquals("x", got.poll().data());
      assertThrows(IllegalArgumentException.class, () -> local.publish("a b", "x"));
      assertThrows(IllegalArgumentException.class, () -> local.publish("t", "y".repeat(ClusterBus.MAX_DATA + 1)));
      assertThrows(IllegalStateException.class, () -> db.transaction(c -> {
        local.publish(c, "t", "x");
        return null;
      }));
    }
    assertThrows(IllegalArgumentException.class, () -> ClusterBus.start("no spaces allowed", null));
  }
}
