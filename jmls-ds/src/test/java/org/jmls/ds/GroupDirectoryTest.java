package org.jmls.ds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.KeyPackages;
import org.jmls.message.Credential;
import org.jmls.message.GroupInfo;
import org.jmls.message.Lifetime;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;
import org.jmls.service.Database;
import org.jmls.service.Databases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GroupDirectoryTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final GroupServices S = GroupServices.development();
  private static final MlsCrypto C = S.provider().suite(SUITE);

  /** A device: registered with the DS, with KeyPackages uploaded, and its group once joined. */
  static final class Device {
    final String id;
    final KeyPair sig;
    final KeyPackageBundle kp;
    Group group;
    long queueSeq;
    GroupConfig config = GroupConfig.defaults();

    Device(KeyPackageDirectory dir, String id) throws Exception {
      this.id = id;
      sig = C.generateSignatureKeyPair();
      long now = S.clock().instant().getEpochSecond();
      kp = KeyPackages.create(C, new Credential.Basic(Bytes.wrap(id.getBytes())), sig, KeyPackages.defaultCapabilities(SUITE),
          new Lifetime(now - 60, now + 86400), List.of(), List.of());
      dir.register(new KeyPackageDirectory.Client(id, id, sig.publicKey(), kp.keyPackage().leafNode().credential().toBytes()));
      dir.upload(id, List.of(new KeyPackageDirectory.Upload(MlsMessage.of(kp.keyPackage()).toBytes(), false)));
    }

    /** Fetches and processes this device's queue, then acknowledges it. */
    void sync(GroupDirectory groups) throws Exception {
      for (GroupDirectory.Delivery d : groups.fetch(id, queueSeq, 1000)) {
        MlsMessage m = MlsMessage.fromBytes(d.message().unsafeArray());
        if (d.kind() == GroupDirectory.Kind.WELCOME) {
          group = Group.join(S, config, (Welcome) m.body(), kp, null);
        } else if (group != null && d.kind() == GroupDirectory.Kind.COMMIT) {
          if (group.hasPendingCommit()) {
            group.discardPendingCommit();
          }
          group.merge((Group.StagedCommit) group.process(m));
        } else if (group != null) {
          group.process(m);
        }
        queueSeq = d.seq();
      }
      groups.ack(id, queueSeq);
    }
  }

  static Device[] formGroup(KeyPackageDirectory dir, GroupDirectory groups, int n, boolean publicHandshakes) throws Exception {
    Device[] devices = new Device[n];
    GroupConfig config = GroupConfig.defaults().withEncryptedHandshakes(!publicHandshakes);
    for (int i = 0; i < n; i++) {
      devices[i] = new Device(dir, "member" + i + "@example.com");
      devices[i].config = config;
    }
    devices[0].group = Group.create(S, config, Bytes.wrap(new byte[] {9, 9, (byte) n}), devices[0].kp, List.of());
    groups.create(devices[0].id, devices[0].group.groupInfo(true), publicHandshakes, true);
    List<Proposal> adds = new ArrayList<>();
    List<String> added = new ArrayList<>();
    for (int i = 1; i < n; i++) {
      List<KeyPackageDirectory.Claimed> claimed = dir.claim(devices[i].id, SUITE.id());
      assertEquals(1, claimed.size());
      adds.add(new Proposal.Add((org.jmls.message.KeyPackage) MlsMessage.fromBytes(claimed.get(0).keyPackageMessage().unsafeArray()).body()));
      added.add(devices[i].id);
    }
    Group.CommitResult r = devices[0].group.commit(adds, false);
    groups.commit(devices[0].id, r.commit(), r.welcome(), r.groupInfo(), added, List.of());
    devices[0].group.mergePendingCommit();
    for (int i = 1; i < n; i++) {
      devices[i].group = null;
      devices[i].sync(groups);
    }
    return devices;
  }

  @ParameterizedTest
  @CsvSource({"sqlite,true", "sqlite,false", "postgres,true", "postgres,false"})
  void commitRace_exactlyOneWinnerPerEpoch_allCatchUpToTheSameEpoch(String db, boolean publicHandshakes) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      GroupDirectory groups = new GroupDirectory(d, S);
      Device[] devices = formGroup(dir, groups, 6, publicHandshakes);
      ExecutorService pool = Executors.newFixedThreadPool(6);
      for (int round = 0; round < 8; round++) {
        long epoch = devices[0].group.epoch();
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger stale = new AtomicInteger();
        List<Future<Boolean>> results = new ArrayList<>();
        for (Device dev : devices) {
          Group.CommitResult c = dev.group.commit(List.of(), true);
          results.add(pool.submit(() -> {
            go.await();
            try {
              groups.commit(dev.id, c.commit(), null, c.groupInfo(), List.of(), List.of());
              dev.group.mergePendingCommit();
              return true;
            } catch (StaleEpochException e) {
              assertEquals(epoch + 1, e.currentEpoch());
              stale.incrementAndGet();
              return false;
            }
          }));
        }
        go.countDown();
        int winners = 0;
        for (Future<Boolean> f : results) {
          winners += f.get() ? 1 : 0;
        }
        assertEquals(1, winners, "round " + round);
        assertEquals(devices.length - 1, stale.get());
        for (Device dev : devices) {
          dev.sync(groups);
        }
        for (Device dev : devices) {
          assertEquals(epoch + 1, dev.group.epoch());
          assertEquals(devices[0].group.epochAuthenticator(), dev.group.epochAuthenticator());
        }
      }
      pool.shutdown();
      assertEquals(devices.length, groups.members(devices[0].group.groupId()).size());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void nonMemberPost_forgedGroupInfo_andAppMessagesFlow(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      GroupDirectory groups = new GroupDirectory(d, S);
      Device[] devices = formGroup(dir, groups, 3, true);
      Device outsider = new Device(dir, "eve@example.com");
      MlsMessage hello = devices[1].group.encrypt("hello".getBytes(), new byte[0]);
      assertEquals("ds.not-a-member", assertThrows(ValidationException.class, () -> groups.post(outsider.id, hello)).ruleId());
      groups.post(devices[1].id, hello);
      devices[2].sync(groups);
      // A commit whose GroupInfo does not match what the DS computed is refused (RFC 9750 §5.5).
      Group.CommitResult c = devices[0].group.commit(List.of(), true);
      MlsMessage staleInfo = devices[0].group.groupInfo(true);
      MlsException e = assertThrows(MlsException.class,
          () -> groups.commit(devices[0].id, c.commit(), null, staleInfo, List.of(), List.of()));
      assertTrue(e.getMessage().contains("rfc9750-5.5"), e.getMessage());
      assertEquals(devices[0].group.epoch(), groups.epoch(devices[0].group.groupId()));
      groups.commit(devices[0].id, c.commit(), null, c.groupInfo(), List.of(), List.of());
      devices[0].group.mergePendingCommit();
      for (Device dev : devices) {
        dev.sync(groups);
        assertEquals(devices[0].group.epochAuthenticator(), dev.group.epochAuthenticator());
      }
      GroupInfo gi = (GroupInfo) groups.groupInfo(devices[0].group.groupId()).body();
      assertEquals(devices[0].group.epoch(), gi.groupContext().epoch());
    }
  }

  /**
   * Two nodes on one PostgreSQL (two directories on one database, no bus between them): node A
   * remembers the group's epoch from a first post, node B commits a removal without A hearing of it.
   * A must still refuse the removed member's post at the old epoch (the append statement sees the
   * moved epoch, nothing is stored, and the batch is checked again), and after B moves the epoch
   * once more, A must take a post at the newest epoch (refusals are decided on a fresh read, not on
   * A's stale memory).
   */
  @Test
  void epochMovedByAnotherNode_rememberedEpochNeverDecides() throws Exception {
    try (Database d = Databases.freshWith("postgres", "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      GroupDirectory a = new GroupDirectory(d, S);
      GroupDirectory b = new GroupDirectory(d, S);
      Device[] devices = formGroup(dir, a, 3, true);
      Device alice = devices[0];
      Device bob = devices[1];
      Device carol = devices[2];
      Bytes gid = alice.group.groupId();
      long epoch = alice.group.epoch();
      MlsMessage carolsOld = carol.group.encrypt("carol before her removal".getBytes(), new byte[0]);
      a.post(bob.id, bob.group.encrypt("first".getBytes(), new byte[0])); // A now remembers the epoch
      Group.CommitResult r = alice.group.commit(List.of(new Proposal.Remove(carol.group.myLeafIndex())), true);
      b.commit(alice.id, r.commit(), null, r.groupInfo(), List.of(), List.of());
      alice.group.mergePendingCommit();
      bob.sync(b);
      assertEquals(epoch + 1, bob.group.epoch());
      long rows = logRows(d);
      assertEquals("ds.not-a-member", assertThrows(ValidationException.class, () -> a.post(carol.id, carolsOld)).ruleId());
      assertEquals(rows, logRows(d), "nothing of the removed member stored");
      // B moves the epoch again; A, which has read epoch + 1 since, takes a post at epoch + 2.
      Group.CommitResult again = alice.group.commit(List.of(), true);
      b.commit(alice.id, again.commit(), null, again.groupInfo(), List.of(), List.of());
      alice.group.mergePendingCommit();
      bob.sync(b);
      assertEquals(epoch + 2, bob.group.epoch());
      a.post(bob.id, bob.group.encrypt("at the newest epoch".getBytes(), new byte[0]));
      assertEquals(rows + 1, logRows(d));
      assertEquals(epoch + 2, a.epoch(gid));
    }
  }

  private static long logRows(Database d) throws Exception {
    return LogAppendTest.one(d, "SELECT COUNT(*) FROM ds_log WHERE kind = " + GroupDirectory.Kind.APPLICATION.code);
  }

  /**
   * Application messages posted concurrently from every member go through the batch writer: each
   * arrives exactly once at every other member, in each sender's order, a refused one (stale epoch)
   * does not disturb its batch, the body is stored once and pruned once everybody acknowledged it.
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void concurrentApplicationMessages_batched_exactlyOnceInOrder_storedOnce(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      GroupDirectory groups = new GroupDirectory(d, S);
      Device[] devices = formGroup(dir, groups, 4, true);
      long bodiesBefore = groups.storedMessages(); // the adding commit and the Welcome, each stored once
      assertEquals(2, bodiesBefore);
      int perSender = 60;
      List<List<MlsMessage>> sent = new ArrayList<>();
      for (Device dev : devices) {
        List<MlsMessage> mine = new ArrayList<>();
        for (int i = 0; i < perSender; i++) {
          mine.add(dev.group.encrypt((dev.id + "#" + i).getBytes(), new byte[0]));
        }
        sent.add(mine);
      }
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(devices.length * 2);
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int k = 0; k < devices.length; k++) {
        Device dev = devices[k];
        List<MlsMessage> mine = sent.get(k);
        done.add(pool.submit(() -> {
          for (MlsMessage m : mine) {
            groups.post(dev.id, m);
          }
          return null;
        }));
        // A message for an epoch the group has not reached is refused, alone.
        MlsMessage future = devices[k].group.encrypt("x".getBytes(), new byte[0]);
        org.jmls.message.PrivateMessage pm = (org.jmls.message.PrivateMessage) future.body();
        MlsMessage ahead = MlsMessage.of(new org.jmls.message.PrivateMessage(pm.groupId(), pm.epoch() + 1, pm.contentType(),
            pm.authenticatedData(), pm.encryptedSenderData(), pm.ciphertext()));
        done.add(pool.submit(() -> assertEquals("ds.epoch-too-old",
            assertThrows(ValidationException.class, () -> groups.post(dev.id, ahead)).ruleId())));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get();
      }
      pool.shutdown();
      assertEquals(bodiesBefore + devices.length * perSender, groups.storedMessages());
      for (Device reader : devices) {
        List<String> texts = new ArrayList<>();
        for (GroupDirectory.Delivery del : groups.fetch(reader.id, reader.queueSeq, 1000)) {
          Group.Processed p = reader.group.process(MlsMessage.fromBytes(del.message().unsafeArray()));
          texts.add(new String(((Group.ApplicationMessage) p).data().toByteArray()));
          reader.queueSeq = del.seq();
        }
        assertEquals((devices.length - 1) * perSender, texts.size(), reader.id);
        assertEquals(texts.size(), new java.util.HashSet<>(texts).size(), "duplicates for " + reader.id);
        for (Device writer : devices) {
          if (writer == reader) {
            continue;
          }
          List<String> fromWriter = texts.stream().filter(t -> t.startsWith(writer.id + "#")).toList();
          for (int i = 0; i < perSender; i++) {
            assertEquals(writer.id + "#" + i, fromWriter.get(i));
          }
        }
      }
      // Bodies go only when every recipient has acknowledged them.
      for (int i = 0; i < devices.length - 1; i++) {
        groups.ack(devices[i].id, devices[i].queueSeq);
      }
      groups.pruneQueues(GroupDirectory.DEFAULT_RETENTION_SECONDS);
      assertTrue(groups.storedMessages() > 0, "a body the last member has not acknowledged was pruned");
      groups.ack(devices[devices.length - 1].id, devices[devices.length - 1].queueSeq);
      groups.pruneQueues(GroupDirectory.DEFAULT_RETENTION_SECONDS);
      assertEquals(0, groups.storedMessages());
    }
  }

  private static MlsMessage keyPackageOf(KeyPackageDirectory dir, String user) throws Exception {
    List<KeyPackageDirectory.Claimed> claimed = dir.claim(user, SUITE.id());
    return MlsMessage.fromBytes(claimed.get(0).keyPackageMessage().unsafeArray());
  }

  /**
   * Bounds per device: the groups a device is in when it creates another, and the Welcomes waiting
   * unread for it. Each refusal names its rule (409 over HTTP) and stores nothing; reading the
   * queue makes room for Welcomes.
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void boundsPerDevice_groupsItIsIn_welcomesWaiting(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      GroupDirectory groups = new GroupDirectory(d, S);
      groups.maxGroupsPerDevice(2);
      groups.maxWaitingWelcomes(2);
      Device alice = new Device(dir, "alice@example.com");
      Device bob = new Device(dir, "bob@example.com");
      for (int i = 0; i < 2; i++) { // Bob has three KeyPackages
        KeyPackageBundle more = KeyPackages.create(C, bob.kp.keyPackage().leafNode().credential(), bob.sig,
            KeyPackages.defaultCapabilities(SUITE), bob.kp.keyPackage().leafNode().lifetime(), List.of(), List.of());
        dir.upload(bob.id, List.of(new KeyPackageDirectory.Upload(MlsMessage.of(more.keyPackage()).toBytes(), false)));
      }
      List<Group> made = new ArrayList<>();
      for (int g = 0; g < 3; g++) {
        Group group = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {7, 7, (byte) g}), alice.kp, List.of());
        made.add(group);
        if (g < 2) {
          groups.create(alice.id, group.groupInfo(true), true, true);
        } else {
          ValidationException e = assertThrows(ValidationException.class, () -> groups.create(alice.id, group.groupInfo(true), true, true));
          assertEquals("ds.group-limit", e.ruleId(), e.getMessage());
          assertEquals(409, org.jmls.service.ServiceHttp.statusFor(e.ruleId()));
          assertEquals(List.of(), groups.members(group.groupId()), "nothing stored");
        }
      }
      // Alice adds Bob to her two groups: two Welcomes wait for him. A third group (Carol's) cannot queue one more.
      for (int g = 0; g < 2; g++) {
        Group.CommitResult r = made.get(g).commit(List.of(new Proposal.Add((org.jmls.message.KeyPackage) keyPackageOf(dir, bob.id).body())), false);
        groups.commit(alice.id, r.commit(), r.welcome(), r.groupInfo(), List.of(bob.id), List.of());
        made.get(g).mergePendingCommit();
      }
      Device carol = new Device(dir, "carol@example.com");
      Group third = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {8, 8}), carol.kp, List.of());
      groups.create(carol.id, third.groupInfo(true), true, true);
      Group.CommitResult add = third.commit(List.of(new Proposal.Add((org.jmls.message.KeyPackage) keyPackageOf(dir, bob.id).body())), false);
      ValidationException full = assertThrows(ValidationException.class,
          () -> groups.commit(carol.id, add.commit(), add.welcome(), add.groupInfo(), List.of(bob.id), List.of()));
      assertEquals("ds.welcome-limit", full.ruleId(), full.getMessage());
      assertTrue(full.getMessage().contains(bob.id), full.getMessage());
      assertEquals(0, groups.epoch(third.groupId()), "the refused commit stored nothing");
      assertEquals(List.of(carol.id), groups.members(third.groupId()));
      // Bob reads his Welcomes; Carol's commit then goes through.
      List<GroupDirectory.Delivery> waiting = groups.fetch(bob.id, 0, 100);
      assertEquals(2, waiting.size());
      groups.ack(bob.id, waiting.get(1).seq());
      groups.commit(carol.id, add.commit(), add.welcome(), add.groupInfo(), List.of(bob.id), List.of());
      assertEquals(1, groups.epoch(third.groupId()));
    }
  }
}
