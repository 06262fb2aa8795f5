package org.jmls.group;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.crypto.CipherSuite;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;
import org.junit.jupiter.api.Test;

class GroupPersistenceTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final GroupServices S = GroupServices.development();

  private static Group[] pair(GroupConfig config) throws Exception {
    KeyPackageBundle a = GroupTest.member(SUITE, "alice");
    KeyPackageBundle b = GroupTest.member(SUITE, "bob");
    Group alice = Group.create(S, config, Bytes.wrap(new byte[] {42}), a, List.of());
    Group.CommitResult r = alice.commit(List.of(new Proposal.Add(b.keyPackage())), false);
    alice.mergePendingCommit();
    return new Group[] {alice, Group.join(S, config, (Welcome) r.welcome().body(), b, null)};
  }

  private static String text(Group.Processed p) {
    return new String(((Group.ApplicationMessage) p).data().toByteArray(), StandardCharsets.UTF_8);
  }

  @Test
  void saveAndLoad_restoredMemberKeepsTalkingAndCommitting() throws Exception {
    for (boolean encrypted : new boolean[] {false, true}) {
      Group[] g = pair(GroupConfig.defaults().withEncryptedHandshakes(encrypted));
      Group alice = g[0];
      Group bob = g[1];
      MlsMessage early = alice.encrypt("one".getBytes(), new byte[0]);
      MlsMessage pendingProposal = alice.proposeUpdate();
      bob.process(pendingProposal);
      Group bob2 = Group.load(S, bob.save());
      assertEquals(bob.epochAuthenticator(), bob2.epochAuthenticator());
      assertEquals("one", text(bob2.process(early)));
      // The cached proposal survived: a commit by reference still processes.
      Group.CommitResult c = bob2.commit(List.of(), false);
      bob2.mergePendingCommit();
      Group alice2 = Group.load(S, alice.save());
      alice2.merge((Group.StagedCommit) alice2.process(c.commit()));
      assertEquals(alice2.epochAuthenticator(), bob2.epochAuthenticator());
      assertEquals("two", text(alice2.process(bob2.encrypt("two".getBytes(), new byte[0]))));
      // A saved and reloaded state saves to the same bytes (nothing lost or invented).
      assertArrayEquals(alice2.save(), Group.load(S, alice2.save()).save());
    }
  }

  @Test
  void save_refusedWhileACommitIsPending() throws Exception {
    Group alice = pair(GroupConfig.defaults())[0];
    alice.commit(List.of(), false);
    assertThrows(IllegalStateException.class, alice::save);
    alice.discardPendingCommit();
    alice.save();
  }

  /**
   * Bob's view after the tree changed shape twice (an add that doubles it, then a remove), so his
   * two past epochs are written as differences from their neighbours; and a message Alice sent in
   * the oldest of them, still readable.
   */
  private static Object[] withPastEpochs() throws Exception {
    Group[] g = pair(GroupConfig.defaults());
    Group alice = g[0];
    Group bob = g[1];
    MlsMessage late = alice.encrypt("from epoch 1".getBytes(), new byte[0]);
    List<Proposal> adds = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      adds.add(new Proposal.Add(GroupTest.member(SUITE, "extra" + i).keyPackage()));
    }
    Group.CommitResult grow = alice.commit(adds, true);
    bob.merge((Group.StagedCommit) bob.process(grow.commit()));
    alice.mergePendingCommit();
    Group.CommitResult shrink = alice.commit(List.of(new Proposal.Remove(4)), false);
    bob.merge((Group.StagedCommit) bob.process(shrink.commit()));
    alice.mergePendingCommit();
    return new Object[] {alice, bob, late};
  }

  @Test
  void pastEpochs_savedAsTreeDifferences_loadWithTheirTreesAndSecrets() throws Exception {
    Object[] w = withPastEpochs();
    Group alice = (Group) w[0];
    Group bob = (Group) w[1];
    byte[] saved = bob.save();
    Group loaded = Group.load(S, saved);
    assertEquals(bob.epochAuthenticator(), loaded.epochAuthenticator());
    assertEquals(bob.tree().toNodes(), loaded.tree().toNodes());
    assertEquals("from epoch 1", text(loaded.process((MlsMessage) w[2])));
    assertArrayEquals(saved, Group.load(S, saved).save());
    assertEquals("now", text(loaded.process(alice.encrypt("now".getBytes(), new byte[0]))));
  }

  @Test
  void load_corruptedState_failsWithDecodeErrorOnly() throws Exception {
    byte[] blob = ((Group) withPastEpochs()[1]).save();
    Random r = new Random(1);
    for (int i = 0; i < 2000; i++) {
      byte[] bad = blob.clone();
      int n = 1 + r.nextInt(3);
      for (int k = 0; k < n; k++) {
        bad[r.nextInt(bad.length)] ^= (byte) (1 + r.nextInt(255));
      }
      if (r.nextBoolean()) {
        bad = java.util.Arrays.copyOf(bad, r.nextInt(bad.length));
      }
      try {
        Group.load(S, bad);
      } catch (DecodeException expected) {
        assertTrue(!expected.reason().startsWith("internal"), expected.reason());
      }
    }
  }

  /**
   * A state saved by version 1 of the format (checked in under golden/) must keep loading: it holds
   * Bob's view of a two-member group and a message Alice sent in that epoch.
   */
  @Test
  void goldenState_v1_stillLoadsAndDecrypts() throws Exception {
    byte[][] golden = golden(1);
    byte[] message = golden[1];
    Group bob = Group.load(S, golden[0]);
    assertEquals(1, bob.epoch());
    assertEquals("golden", text(bob.process(MlsMessage.fromBytes(message))));
  }

  /**
   * A state saved by version 2 (past trees as differences, checked in under golden/) must keep
   * loading: Bob after two commits that changed the tree's shape, and a message Alice sent two
   * epochs before.
   */
  @Test
  void goldenState_v2_withPastEpochs_stillLoadsAndDecrypts() throws Exception {
    byte[][] golden = golden(2);
    byte[] state = golden[0];
    byte[] message = golden[1];
    Group bob = Group.load(S, state);
    byte[] resaved = bob.save(); // in the current format, which loads back to the same bytes
    assertArrayEquals(resaved, Group.load(S, resaved).save());
    assertEquals(3, bob.epoch());
    assertEquals("from epoch 1", text(bob.process(MlsMessage.fromBytes(message))));
  }

  /** Version 3 (a flag for trees stored apart) keeps loading, saved whole and in two parts. */
  @Test
  void goldenState_v3_wholeAndInTwoParts_stillLoadsAndDecrypts() throws Exception {
    byte[][] golden = golden(3);
    Group whole = Group.load(S, golden[0]);
    assertArrayEquals(golden[0], whole.save());
    assertEquals("from epoch 1", text(whole.process(MlsMessage.fromBytes(golden[1]))));
    byte[] trees;
    byte[] apart;
    try (InputStream t = getClass().getResourceAsStream("/golden/group-state-v3.trees");
        InputStream a = getClass().getResourceAsStream("/golden/group-state-v3-apart.bin")) {
      trees = t.readAllBytes();
      apart = a.readAllBytes();
    }
    Group split = Group.load(S, apart, trees);
    assertArrayEquals(golden[0], split.save());
    assertEquals("from epoch 1", text(split.process(MlsMessage.fromBytes(golden[1]))));
  }

  /**
   * Saved in two parts (the trees apart, as a store that writes after every page of messages keeps
   * them): loads to the same member, past epochs included; the state part is small; a state part
   * without its trees, or with trees of another epoch, is refused as a decode error.
   */
  @Test
  void treesApart_loadToTheSameMember_mismatchRefused() throws Exception {
    Object[] w = withPastEpochs();
    Group alice = (Group) w[0];
    Group bob = (Group) w[1];
    byte[] trees = bob.saveTrees();
    byte[] rest = bob.saveWithoutTrees();
    Group loaded = Group.load(S, rest, trees);
    assertArrayEquals(bob.save(), loaded.save());
    assertEquals(bob.tree().toNodes(), loaded.tree().toNodes());
    assertTrue(rest.length + trees.length - bob.save().length < 64, "the parts hold what the whole holds");
    assertTrue(bob.tree().toNodes().size() > 5 && trees.length > rest.length / 4, "the trees are in the trees part");
    assertEquals("from epoch 1", text(loaded.process((MlsMessage) w[2])));
    assertTrue(Group.savedWithoutTrees(rest));
    assertTrue(!Group.savedWithoutTrees(bob.save()) && !Group.savedWithoutTrees(trees) && !Group.savedWithoutTrees(new byte[3]));
    // A whole state ignores trees given beside it.
    assertArrayEquals(bob.save(), Group.load(S, bob.save(), trees).save());

    DecodeException missing = assertThrows(DecodeException.class, () -> Group.load(S, rest));
    assertTrue(missing.reason().contains("stored apart"), missing.reason());
    byte[] oldTrees = trees;
    Group.CommitResult next = alice.commit(List.of(), true);
    bob.merge((Group.StagedCommit) bob.process(next.commit()));
    DecodeException stale = assertThrows(DecodeException.class, () -> Group.load(S, bob.saveWithoutTrees(), oldTrees));
    assertTrue(stale.reason().contains("epoch"), stale.reason());
    assertArrayEquals(bob.save(), Group.load(S, bob.saveWithoutTrees(), bob.saveTrees()).save());
  }

  /**
   * A snapshot restores the member as it was when taken, however it moved on since (a commit merged,
   * messages received), and can be restored more than once: each restored member is independent.
   */
  @Test
  void snapshot_restoresTheStateItCaptured_independently() throws Exception {
    Object[] w = withPastEpochs();
    Group alice = (Group) w[0];
    Group bob = (Group) w[1];
    byte[] before = bob.save();
    Group.Snapshot snap = bob.snapshot();
    assertEquals(bob.epoch(), snap.epoch());
    Group.CommitResult c = bob.commit(List.of(), true);
    bob.mergePendingCommit();
    assertEquals(text(bob.process(alice.encrypt("moved on".getBytes(), new byte[0]))), "moved on");
    Group back = Group.restore(S, snap);
    assertArrayEquals(before, back.save());
    assertArrayEquals(before, snap.save());
    // The restored member reads what was sent in its epoch; a second restore still starts from the snapshot.
    MlsMessage m = alice.encrypt("to the old epoch".getBytes(), new byte[0]);
    assertEquals("to the old epoch", text(back.process(m)));
    back.merge((Group.StagedCommit) back.process(alice.commit(List.of(), true).commit()));
    alice.discardPendingCommit();
    assertArrayEquals(before, Group.restore(S, snap).save());
    assertEquals("from epoch 1", text(Group.restore(S, snap).process((MlsMessage) w[2])));
  }

  @Test
  void load_corruptedTrees_failsWithDecodeErrorOnly() throws Exception {
    Group bob = (Group) withPastEpochs()[1];
    byte[] rest = bob.saveWithoutTrees();
    byte[] blob = bob.saveTrees();
    Random r = new Random(2);
    for (int i = 0; i < 1000; i++) {
      byte[] bad = blob.clone();
      bad[r.nextInt(bad.length)] ^= (byte) (1 + r.nextInt(255));
      if (r.nextBoolean()) {
        bad = java.util.Arrays.copyOf(bad, r.nextInt(bad.length));
      }
      try {
        Group.load(S, rest, bad);
      } catch (DecodeException expected) {
        assertTrue(!expected.reason().startsWith("internal"), expected.reason());
      }
    }
  }

  /** The checked-in state of format {@code version} and its message. */
  private byte[][] golden(int version) throws Exception {
    try (InputStream s = getClass().getResourceAsStream("/golden/group-state-v" + version + ".bin");
        InputStream m = getClass().getResourceAsStream("/golden/group-state-v" + version + ".message")) {
      return new byte[][] {s.readAllBytes(), m.readAllBytes()};
    }
  }

  /** Writes the golden files of the current format version; run by hand only when the version changes. */
  public static void main(String[] args) throws Exception {
    Object[] w = withPastEpochs();
    java.nio.file.Path dir = java.nio.file.Paths.get(args[0]);
    java.nio.file.Files.write(dir.resolve("group-state-v" + Group.STATE_VERSION + ".bin"), ((Group) w[1]).save());
    java.nio.file.Files.write(dir.resolve("group-state-v" + Group.STATE_VERSION + ".message"), ((MlsMessage) w[2]).toByteArray());
    java.nio.file.Files.write(dir.resolve("group-state-v" + Group.STATE_VERSION + "-apart.bin"), ((Group) w[1]).saveWithoutTrees());
    java.nio.file.Files.write(dir.resolve("group-state-v" + Group.STATE_VERSION + ".trees"), ((Group) w[1]).saveTrees());
  }
}
