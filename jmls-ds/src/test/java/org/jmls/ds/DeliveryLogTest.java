package org.jmls.ds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.jmls.Bytes;
import org.jmls.group.Group;
import org.jmls.group.GroupServices;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.service.Database;
import org.jmls.service.Databases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Delivery by log and cursor: one row per message, membership windows, cursors, migration of queued rows. */
class DeliveryLogTest {
  private static final GroupServices S = GroupServices.development();

  private static long count(Database d, String table) throws Exception {
    return d.transaction(c -> {
      try (PreparedStatement q = c.prepareStatement("SELECT COUNT(*) FROM " + table); ResultSet rs = q.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  private static List<String> texts(GroupDirectory groups, GroupDirectoryTest.Device dev) throws Exception {
    List<String> out = new ArrayList<>();
    for (GroupDirectory.Delivery del : groups.fetch(dev.id, dev.queueSeq, 1000)) {
      if (del.kind() == GroupDirectory.Kind.APPLICATION) {
        Group.Processed p = dev.group.process(MlsMessage.fromBytes(del.message().unsafeArray()));
        out.add(new String(((Group.ApplicationMessage) p).data().toByteArray()));
      } else {
        if (del.kind() == GroupDirectory.Kind.COMMIT) {
          dev.group.merge((Group.StagedCommit) dev.group.process(MlsMessage.fromBytes(del.message().unsafeArray())));
        }
        out.add("<" + del.kind().name().toLowerCase() + ">");
      }
      dev.queueSeq = del.seq();
    }
    groups.ack(dev.id, dev.queueSeq);
    return out;
  }

  /**
   * A message to a group is one row, whatever the group's size: 40 messages into a group of 60
   * devices add 40 log rows and nothing to the per-device tables (before this design: 2,360 rows).
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void applicationMessage_oneRowPerMessage_whateverTheGroupSize(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      GroupDirectory groups = new GroupDirectory(d, S);
      GroupDirectoryTest.Device[] devices = GroupDirectoryTest.formGroup(dir, groups, 60, false);
      long log = count(d, "ds_log");
      long queue = count(d, "ds_queue");
      long bodies = count(d, "ds_messages");
      long members = count(d, "ds_group_members");
      for (int i = 0; i < 40; i++) {
        groups.post(devices[i % 3].id, devices[i % 3].group.encrypt(("m" + i).getBytes(), new byte[0]));
      }
      assertEquals(log + 40, count(d, "ds_log"));
      assertEquals(queue, count(d, "ds_queue"));
      assertEquals(bodies, count(d, "ds_messages"));
      assertEquals(members, count(d, "ds_group_members"));
      // ... and every other member still reads each one.
      assertEquals(40, texts(groups, devices[59]).size());
      assertEquals(40 - 14, texts(groups, devices[0]).size(), "a sender does not get its own messages back");
    }
  }

  /**
   * A removed device reads the commit that removed it and nothing after; a device added later reads
   * its Welcome and nothing from before its join; a device that comes back after removal starts a
   * new window.
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void membershipWindows_removedReadsNothingAfter_newReadsNothingBefore(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      GroupDirectory groups = new GroupDirectory(d, S);
      GroupDirectoryTest.Device[] devices = GroupDirectoryTest.formGroup(dir, groups, 3, true);
      GroupDirectoryTest.Device alice = devices[0];
      GroupDirectoryTest.Device bob = devices[1];
      GroupDirectoryTest.Device carol = devices[2];
      groups.post(alice.id, alice.group.encrypt("before".getBytes(), new byte[0]));
      assertEquals(List.of("before"), texts(groups, carol));
      // Alice removes Carol; then says something Carol must not get.
      Group.CommitResult r = alice.group.commit(List.of(new Proposal.Remove(carol.group.myLeafIndex())), true);
      groups.commit(alice.id, r.commit(), null, r.groupInfo(), List.of(), List.of());
      alice.group.mergePendingCommit();
      groups.post(alice.id, alice.group.encrypt("after".getBytes(), new byte[0]));
      assertEquals(List.of("<commit>"), texts(groups, carol), "the removed device learns of its removal, nothing more");
      assertEquals(List.of(), groups.fetch(carol.id, 0, 100), "not even when it asks from the start");
      assertEquals(2, groups.members(alice.group.groupId()).size());
      // The roster the DS moved forward with the commit (no query) is the one stored.
      assertEquals(groups.members(alice.group.groupId()), groups.rosterInUse(alice.group.groupId()));
      // Bob gets both, and posts; Carol still gets nothing.
      List<String> bobs = texts(groups, bob);
      assertEquals("<commit>", bobs.get(1));
      assertEquals("after", bobs.get(2));
      groups.post(bob.id, bob.group.encrypt("still without carol".getBytes(), new byte[0]));
      assertEquals(List.of(), groups.fetch(carol.id, 0, 100));
      // A newcomer reads its Welcome and what follows, not the history.
      GroupDirectoryTest.Device dave = new GroupDirectoryTest.Device(dir, "dave@example.com");
      dave.config = alice.config;
      KeyPackageDirectory.Claimed kp = dir.claim(dave.id, org.jmls.crypto.CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519.id()).get(0);
      Group.CommitResult add = alice.group.commit(List.of(new Proposal.Add((org.jmls.message.KeyPackage)
          MlsMessage.fromBytes(kp.keyPackageMessage().unsafeArray()).body())), true);
      groups.commit(alice.id, add.commit(), add.welcome(), add.groupInfo(), List.of(), List.of());
      alice.group.mergePendingCommit();
      assertEquals(groups.members(alice.group.groupId()), groups.rosterInUse(alice.group.groupId()));
      groups.post(alice.id, alice.group.encrypt("welcome dave".getBytes(), new byte[0]));
      List<GroupDirectory.Delivery> daves = groups.fetch(dave.id, 0, 100);
      assertEquals(List.of(GroupDirectory.Kind.WELCOME, GroupDirectory.Kind.APPLICATION), daves.stream().map(GroupDirectory.Delivery::kind).toList());
      dave.group = Group.join(S, dave.config, (org.jmls.message.Welcome) MlsMessage.fromBytes(daves.get(0).message().unsafeArray()).body(), dave.kp, null);
      dave.queueSeq = daves.get(0).seq();
      assertEquals(List.of("welcome dave"), texts(groups, dave));
      Group.CommitResult update = alice.group.commit(List.of(), true); // no member changes: the same roster carries over
      groups.commit(alice.id, update.commit(), null, update.groupInfo(), List.of(), List.of());
      alice.group.mergePendingCommit();
      assertEquals(groups.members(alice.group.groupId()), groups.rosterInUse(alice.group.groupId()));
      assertEquals(3, groups.rosterInUse(alice.group.groupId()).size());
    }
  }

  /** Posts {@code n} messages from the first device; what the second is handed (all of them). */
  private static List<GroupDirectory.Delivery> postedAndFetched(GroupDirectory groups, GroupDirectoryTest.Device[] devices, int n)
      throws Exception {
    for (int i = 0; i < n; i++) {
      groups.post(devices[0].id, devices[0].group.encrypt(("m" + i).getBytes(), new byte[0]));
    }
    List<GroupDirectory.Delivery> all = groups.fetch(devices[1].id, 0, 100);
    assertEquals(n, all.size());
    return all;
  }

  /** The cursor is the DS's: a device that asks from the start again gets nothing it acknowledged, and nothing twice. */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void cursor_acknowledged_neverAgain_unacknowledged_again(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      GroupDirectory groups = new GroupDirectory(d, S);
      GroupDirectoryTest.Device[] devices = GroupDirectoryTest.formGroup(dir, groups, 2, false);
      List<GroupDirectory.Delivery> all = postedAndFetched(groups, devices, 5);
      groups.ack(devices[1].id, all.get(2).seq());
      assertEquals(all.subList(3, 5).stream().map(GroupDirectory.Delivery::seq).toList(),
          groups.fetch(devices[1].id, 0, 100).stream().map(GroupDirectory.Delivery::seq).toList());
      assertEquals(0, groups.ack(devices[1].id, all.get(1).seq()), "a cursor never moves back");
      assertEquals(1, groups.fetch(devices[1].id, 0, 1).size(), "limits hold");
    }
  }

  /**
   * Acknowledgements from many threads at once share transactions, yet each answers as if they ran
   * one after another: for each device the moves add up to its final cursor, which is the highest
   * acknowledged, and a device's acknowledgements do not move another's cursor.
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void concurrentAcknowledgements_addUp_perDevice(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      GroupDirectory groups = new GroupDirectory(d, S);
      GroupDirectoryTest.Device[] devices = GroupDirectoryTest.formGroup(dir, groups, 4, false);
      List<GroupDirectory.Delivery> all = postedAndFetched(groups, devices, 40);
      java.util.Map<String, Long> before = new java.util.HashMap<>();
      for (int k = 1; k <= 3; k++) {
        String id = devices[k].id;
        before.put(id, d.transaction(c -> DeliveryLog.cursor(c, id)));
      }
      java.util.Map<String, Long> highest = new java.util.HashMap<>(before);
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
      try {
        List<java.util.concurrent.Future<Long>> moves = new ArrayList<>();
        List<String> who = new ArrayList<>();
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 300; i++) {
          String client = devices[1 + random.nextInt(3)].id;
          long upto = all.get(random.nextInt(all.size())).seq();
          who.add(client);
          highest.merge(client, upto, Math::max);
          moves.add(pool.submit(() -> groups.ack(client, upto)));
        }
        java.util.Map<String, Long> moved = new java.util.HashMap<>();
        for (int i = 0; i < moves.size(); i++) {
          moved.merge(who.get(i), moves.get(i).get(), Long::sum);
        }
        for (String id : before.keySet()) {
          long cursor = d.transaction(c -> DeliveryLog.cursor(c, id));
          assertEquals(highest.get(id), cursor, "the cursor is the highest acknowledged, for " + id);
          assertEquals(cursor - before.get(id), moved.getOrDefault(id, 0L), "the moves add up to the cursor, for " + id);
        }
      } finally {
        pool.shutdownNow();
      }
      assertEquals(0, groups.ack(devices[1].id, all.get(0).seq()), "a cursor never moves back");
    }
  }

  /** Retention deletes what a device never read; the device is told which groups it fell behind in. */
  @Test
  void retention_deletesUnread_andTellsTheDevice() throws Exception {
    try (Database d = Databases.freshWith("sqlite", "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      GroupDirectory groups = new GroupDirectory(d, S);
      GroupDirectoryTest.Device[] devices = GroupDirectoryTest.formGroup(dir, groups, 2, false);
      groups.post(devices[0].id, devices[0].group.encrypt("lost".getBytes(), new byte[0]));
      assertEquals(List.of(), groups.expired(devices[1].id, devices[1].queueSeq));
      assertTrue(groups.pruneQueues(-60) >= 1);
      assertEquals(List.of(), groups.fetch(devices[1].id, devices[1].queueSeq, 100));
      assertEquals(List.of(devices[0].group.groupId()), groups.expired(devices[1].id, devices[1].queueSeq));
      // The sender was told by its last (empty) read how far it has seen: it missed nothing.
      GroupDirectory.Batch seen = groups.read(devices[0].id, 0, 100);
      assertEquals(List.of(), seen.messages());
      groups.ack(devices[0].id, seen.position());
      assertEquals(List.of(), groups.expired(devices[0].id, 0), "the sender missed nothing");
    }
  }

  /**
   * A DS database from before this design (schema v5) with messages still queued per device: after
   * the migration they are delivered first, in order, then new messages from the log, none twice.
   */
  @Test
  void migration_fromPerDeviceQueues_deliversOldRowsThenTheLog() throws Exception {
    Path dirPath = Files.createTempDirectory("jmls-migrate");
    Flyway.configure().dataSource("jdbc:sqlite:" + dirPath.resolve("ds.db"), null, null).locations("classpath:db/ds").target("5")
        .load().migrate();
    try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dirPath.resolve("ds.db"))) {
      c.createStatement().execute("INSERT INTO ds_clients (client_id, user_id, signature_key, credential, registered_at, cipher_suite)"
          + " VALUES ('old@example.com', 'old', X'01', X'02', 0, 1)");
      c.createStatement().execute("INSERT INTO ds_queue_heads (client_id, next_seq) VALUES ('old@example.com', 8)");
      for (int seq = 6; seq <= 7; seq++) {
        c.createStatement().execute("INSERT INTO ds_queue (client_id, seq, group_id, kind, message, enqueued_at) VALUES"
            + " ('old@example.com', " + seq + ", X'AA', 3, X'0" + seq + "', 0)");
      }
    }
    try (Database d = Database.sqlite(dirPath, "ds", "db/ds")) {
      GroupDirectory groups = new GroupDirectory(d, S);
      List<GroupDirectory.Delivery> got = groups.fetch("old@example.com", 5, 10);
      assertEquals(List.of(6L, 7L), got.stream().map(GroupDirectory.Delivery::seq).toList());
      assertEquals(Bytes.wrap(new byte[] {7}), got.get(1).message());
      long next = d.transaction(DeliveryLog::last) + 1;
      assertTrue(next > 7, "new sequence numbers follow every old one");
      groups.ack("old@example.com", 7);
      assertEquals(List.of(), groups.fetch("old@example.com", 0, 10));
    }
  }
}
