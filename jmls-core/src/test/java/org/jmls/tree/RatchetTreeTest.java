package org.jmls.tree;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.DefaultCryptoProvider;
import org.jmls.crypto.MlsCrypto;
import org.jmls.message.Node;
import org.junit.jupiter.api.Test;

class RatchetTreeTest {
  private static final MlsCrypto C =
      DefaultCryptoProvider.instance().suite(CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519);

  @Test
  void incrementalTreeHash_matchesFullRecomputation_afterRandomOperations() throws Exception {
    Random r = new Random(7);
    RatchetTree t = RatchetTree.withFirstLeaf(C, TestTrees.leaf(r, 0));
    for (int step = 0; step < 400; step++) {
      int op = r.nextInt(10);
      if (op < 5 || t.memberCount() < 3) {
        t.addLeaf(TestTrees.leaf(r, 1000 + step));
      } else if (op < 8) {
        int l = randomMember(t, r);
        List<Bytes> keys = new ArrayList<>();
        for (int i = 0; i < t.filteredDirectPath(l).length; i++) {
          keys.add(TestTrees.random(r, 32));
        }
        t.applyPathKeys(l, keys);
        t.setLeaf(l, TestTrees.leaf(r, 5000 + step));
      } else {
        t.removeLeaf(randomMember(t, r));
      }
      assertArrayEquals(t.treeHashFromScratch(), t.treeHash(), "after step " + step);
    }
  }

  private static int randomMember(RatchetTree t, Random r) {
    while (true) {
      int l = r.nextInt(t.leafCount());
      if (t.leaf(l) != null) {
        return l;
      }
    }
  }

  @Test
  void updatePath_recomputesOnlyLogNHashes() throws Exception {
    for (int leaves : new int[] {1 << 10, 1 << 14}) {
      RatchetTree t = TestTrees.full(C, leaves, 1);
      t.treeHash();
      long before = t.hashComputations();
      Random r = new Random(2);
      int l = r.nextInt(leaves);
      List<Bytes> keys = new ArrayList<>();
      for (int i = 0; i < t.filteredDirectPath(l).length; i++) {
        keys.add(TestTrees.random(r, 32));
      }
      t.applyPathKeys(l, keys);
      t.setLeaf(l, TestTrees.leaf(r, 99));
      t.treeHash();
      long depth = Integer.numberOfTrailingZeros(leaves);
      // The leaf and each node of its direct path: depth + 1 hashes, nothing else.
      assertEquals(depth + 1, t.hashComputations() - before, "for " + leaves + " leaves");
    }
  }

  @Test
  void addAndRemove_extendAndTruncate() throws Exception {
    Random r = new Random(3);
    RatchetTree t = RatchetTree.withFirstLeaf(C, TestTrees.leaf(r, 0));
    assertEquals(1, t.leafCount());
    assertEquals(1, t.addLeaf(TestTrees.leaf(r, 1)));
    assertEquals(2, t.addLeaf(TestTrees.leaf(r, 2)));
    assertEquals(4, t.leafCount());
    t.removeLeaf(2);
    assertEquals(2, t.leafCount());
    t.removeLeaf(1);
    assertEquals(1, t.leafCount());
    assertEquals(1, t.memberCount());
  }

  @Test
  void fromNodes_trailingBlank_rejected() {
    List<Node> nodes = new ArrayList<>(Arrays.asList(TestTrees.leaf(new Random(1), 0), null, null));
    ValidationException e = assertThrows(ValidationException.class, () -> RatchetTree.fromNodes(C, nodes));
    assertEquals("rfc9420-12.4.3.3.trailing-blank", e.ruleId());
  }

  @Test
  void fromNodes_duplicateEncryptionKey_rejected() {
    Random r = new Random(1);
    var a = TestTrees.leaf(r, 0);
    var b = TestTrees.leaf(r, 1);
    var clash = new org.jmls.message.LeafNode(a.encryptionKey(), b.signatureKey(), b.credential(), b.capabilities(),
        b.leafNodeSource(), b.lifetime(), null, b.extensions(), b.signature());
    ValidationException e = assertThrows(ValidationException.class,
        () -> RatchetTree.fromNodes(C, Arrays.asList(a, null, clash)));
    assertEquals("rfc9420-7.9.2.duplicate-encryption-key", e.ruleId());
  }

  @Test
  void fromNodes_leafAtParentPosition_rejected() {
    Random r = new Random(1);
    ValidationException e = assertThrows(ValidationException.class,
        () -> RatchetTree.fromNodes(C, Arrays.asList(TestTrees.leaf(r, 0), TestTrees.leaf(r, 1), TestTrees.leaf(r, 2))));
    assertEquals("rfc9420-12.4.3.3.node-type", e.ruleId());
  }

  @Test
  void indexes_findMembersByKeyInConstantTime() throws Exception {
    RatchetTree t = TestTrees.full(C, 1 << 12, 5);
    var leaf = t.leaf(1234);
    assertEquals(1234, t.leafWithSignatureKey(leaf.signatureKey()));
    assertEquals(2 * 1234, t.nodeWithEncryptionKey(leaf.encryptionKey()));
    t.removeLeaf(1234);
    assertEquals(-1, t.leafWithSignatureKey(leaf.signatureKey()));
    assertTrue(t.nodeWithEncryptionKey(leaf.encryptionKey()) < 0);
  }

  @Test
  void fromNodesSharingASimilarTree_isTheSameTree() throws Exception {
    MlsCrypto c = DefaultCryptoProvider.instance().suite(CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519);
    Random r = new Random(5);
    for (int round = 0; round < 60; round++) {
      RatchetTree similar = TestTrees.full(c, 1 << (1 + r.nextInt(6)), r.nextLong());
      similar.treeHash(); // warm the cache the new tree may share
      List<Node> nodes = new ArrayList<>(TestTrees.full(c, 1 << (1 + r.nextInt(6)), r.nextLong()).toNodes());
      if (r.nextBoolean()) {
        // Mostly the similar tree's nodes, a few changed or blanked, possibly another width.
        List<Node> base = similar.toNodes();
        for (int x = 0; x < nodes.size(); x++) {
          if (x < base.size() && r.nextInt(8) != 0) {
            nodes.set(x, base.get(x));
          } else if (x != nodes.size() - 1 && r.nextInt(3) == 0) {
            nodes.set(x, null);
          }
        }
      }
      RatchetTree plain = RatchetTree.fromNodes(c, nodes);
      RatchetTree shared = RatchetTree.fromNodes(c, nodes, similar);
      assertEquals(plain.toNodes(), shared.toNodes());
      assertEquals(plain.leafCount(), shared.leafCount());
      assertArrayEquals(plain.treeHashFromScratch(), shared.treeHash());
      for (int x = 0; x < nodes.size(); x++) {
        Node n = nodes.get(x);
        if (n instanceof org.jmls.message.ParentNode p) {
          assertEquals(x, shared.nodeWithEncryptionKey(p.encryptionKey()));
        } else if (n instanceof org.jmls.message.LeafNode l) {
          assertEquals(x, shared.nodeWithEncryptionKey(l.encryptionKey()));
          assertEquals(x / 2, shared.leafWithSignatureKey(l.signatureKey()));
        }
      }
      for (Node n : similar.toNodes()) {
        if (n instanceof org.jmls.message.LeafNode l && !nodes.contains(n)) {
          assertEquals(plain.leafWithSignatureKey(l.signatureKey()), shared.leafWithSignatureKey(l.signatureKey()));
        }
      }
      assertEquals(plain.memberCount(), shared.memberCount());
    }
    // Duplicate keys are still refused when the rest is shared.
    RatchetTree similar = TestTrees.full(c, 8, 1);
    List<Node> dup = new ArrayList<>(similar.toNodes());
    dup.set(4, dup.get(2));
    assertThrows(ValidationException.class, () -> RatchetTree.fromNodes(c, dup, similar));
  }
}
