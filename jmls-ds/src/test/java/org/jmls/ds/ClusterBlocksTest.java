package org.jmls.ds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jmls.Bytes;
import org.jmls.ds.GroupDirectoryTest.Device;
import org.jmls.group.GroupServices;
import org.jmls.service.ClusterBus;
import org.jmls.service.Database;
import org.jmls.service.Databases;
import org.junit.jupiter.api.Test;

/**
 * Two nodes (two directories, each with its own bus) on one PostgreSQL, and a third appender that
 * holds a block open: what commits in later blocks waits for it, in live delivery and in reads;
 * an appender that rolled back is given up (void) and what waited flows; one that committed without
 * being heard is read back from the database, in its place.
 */
class ClusterBlocksTest {
  private static final GroupServices S = GroupServices.development();
  private static final String BOB = "member1@example.com";

  @Test
  void anOpenBlockHoldsBackLaterOnes_voidWhenRolledBack_readBackWhenCommittedUnheard() throws Exception {
    try (Database d = Databases.freshWith("postgres", "db/ds"); ClusterBus busA = ClusterBus.start("a", d);
        ClusterBus busB = ClusterBus.start("b", d)) {
      GroupDirectory a = new GroupDirectory(d, S);
      GroupDirectory b = new GroupDirectory(d, S);
      BlockingQueue<GroupDirectory.Appended> atB = new LinkedBlockingQueue<>();
      b.onLiveDelivery(() -> Set.of(BOB), list -> atB.addAll(list), () -> {});
      a.cluster(busA);
      b.cluster(busB);
      Device[] devices = GroupDirectoryTest.formGroup(new KeyPackageDirectory(d, S), a, 2, true);
      Device alice = devices[0];
      Bytes gid = alice.group.groupId();
      drain(atB);

      // 1. A block held open by a third appender, which then rolls back.
      try (Connection stuck = d.dedicatedConnection()) {
        stuck.setAutoCommit(false);
        long open = Blocks.of(Blocks.claim(stuck, 1));
        a.post(alice.id, alice.group.encrypt("after the open block".getBytes(), new byte[0]));
        long posted = lastLogSeq(d);
        assertTrue(Blocks.of(posted) > open, "the post's block is later than the open one");
        // Node B's gap timer waits on the open claim: nothing after it was delivered or readable there.
        LogAppendTest.awaitWaitingForLock(d, "INSERT INTO ds_blocks (block, state) VALUES ($1, 'void')%");
        assertTrue(atB.isEmpty(), "held back behind the open block: " + atB);
        assertEquals(List.of(), seqs(b.fetch(BOB, 0, 100)), "a read stops below the open block");
        stuck.rollback();
        assertEquals(posted, next(atB).seq(), "delivered once the open block is void");
        assertEquals(List.of(posted), seqs(b.fetch(BOB, 0, 100)));

        // 2. A block that commits an entry without its notification (as if its node's message was lost).
        long lost = Blocks.claim(stuck, 1);
        try (PreparedStatement ins = stuck.prepareStatement(DeliveryLog.APPEND)) {
          DeliveryLog.add(ins, lost, gid, alice.group.epoch(), GroupDirectory.Kind.APPLICATION, alice.id, new byte[] {7}, 0);
          ins.executeBatch();
        }
        stuck.commit();
        a.post(alice.id, alice.group.encrypt("after the unheard block".getBytes(), new byte[0]));
        long second = lastLogSeq(d);
        assertEquals(lost, next(atB).seq(), "the unheard block is read back, in its place");
        assertEquals(second, next(atB).seq());
        assertEquals(List.of(posted, lost, second), seqs(b.fetch(BOB, 0, 100)));
      }
    }
  }

  private static GroupDirectory.Appended next(BlockingQueue<GroupDirectory.Appended> q) throws InterruptedException {
    GroupDirectory.Appended a = q.poll(20, TimeUnit.SECONDS);
    assertTrue(a != null, "delivered within 20 s");
    return a;
  }

  /** Until the Welcome that forming the group sent Bob (after its commit, in the same block). */
  private static void drain(BlockingQueue<GroupDirectory.Appended> q) throws InterruptedException {
    while (next(q).kind() != GroupDirectory.Kind.WELCOME) {
      // the commit
    }
  }

  private static long lastLogSeq(Database d) throws Exception {
    return LogAppendTest.one(d, "SELECT MAX(seq) FROM ds_log");
  }

  private static List<Long> seqs(List<GroupDirectory.Delivery> got) {
    List<Long> out = new ArrayList<>();
    for (GroupDirectory.Delivery g : got) {
      if (g.kind() == GroupDirectory.Kind.APPLICATION) {
        out.add(g.seq());
      }
    }
    return out;
  }
}
