package org.jmls.group;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.jmls.Bytes;
import org.jmls.codec.TlsWriter;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.CryptoException;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.message.Capabilities;
import org.jmls.message.Credential;
import org.jmls.message.GroupContext;
import org.jmls.message.LeafNode;
import org.jmls.message.LeafNodeSource;
import org.jmls.message.Lifetime;
import org.jmls.message.Node;
import org.jmls.message.ParentNode;
import org.jmls.message.ProtocolVersion;
import org.jmls.schedule.EpochSecrets;
import org.jmls.schedule.KeySchedule;
import org.jmls.schedule.SecretTree;
import org.jmls.schedule.TranscriptHash;
import org.jmls.tree.PathKeys;
import org.jmls.tree.RatchetTree;
import org.jmls.tree.TreeMath;

/**
 * Builds large groups whose ratchet tree is fully populated (every parent node that can be
 * non-blank is), as after every member has committed once, without running n commits: keys are
 * generated directly and parent hashes chained top-down so the tree passes full validation (§7.9.2,
 * leaf signatures, key uniqueness). Two members are returned with real state: leaf 0 and leaf 1,
 * both holding the private keys of their direct path, in the same epoch. Suite 1, basic credentials.
 * For benchmarks and scale tests.
 */
public final class LargeGroups {
  private LargeGroups() {}

  /** Leaf 0 and leaf 1 of the group, and the tree they share. */
  public record Populated(Group first, Group second, List<Node> nodes) {}

  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

  public static Populated populated(GroupServices services, GroupConfig config, int members) throws Exception {
    return populated(services, config, members, SUITE);
  }

  /** A populated group of {@code members} in {@code suite}. */
  public static Populated populated(GroupServices services, GroupConfig config, int members, CipherSuite suite) throws Exception {
    if (members < 2) {
      throw new IllegalArgumentException("at least two members");
    }
    MlsCrypto c = services.provider().suite(suite);
    Bytes groupId = Bytes.wrap(c.randomBytes(16));
    int leaves = 1;
    while (leaves < members) {
      leaves <<= 1;
    }
    int width = TreeMath.nodeWidth(leaves);
    KeyPair[] sig = new KeyPair[members];
    KeyPair[] enc = new KeyPair[width];
    IntStream.range(0, width).parallel().forEach(x -> {
      if (TreeMath.isLeaf(x) ? x / 2 < members : nonBlankParent(x, members)) {
        enc[x] = c.generateHpkeKeyPair();
      }
      if (TreeMath.isLeaf(x) && x / 2 < members) {
        sig[x / 2] = c.generateSignatureKeyPair();
      }
    });
    Builder b = new Builder(c, groupId, members, sig, enc, new Node[width]);
    // Leaves that carry no parent hash (the right-hand ones) do not depend on the rest: sign them first, in parallel.
    IntStream.range(0, members).parallel().filter(l -> !b.chained(2 * l)).forEach(l -> b.nodes[2 * l] = b.keyPackageLeaf(l));
    byte[] root = b.finish(TreeMath.root(leaves), null);

    GroupContext gc = new GroupContext(ProtocolVersion.MLS10, suite.id(), groupId, 1000, Bytes.wrap(root),
        Bytes.wrap(c.randomBytes(c.hashLength())), List.of());
    byte[] epochSecret = c.randomBytes(c.hashLength());
    int end = b.nodes.length;
    while (b.nodes[end - 1] == null) {
      end--;
    }
    List<Node> nodes = java.util.Collections.unmodifiableList(new ArrayList<>(Arrays.asList(b.nodes).subList(0, end)));
    RatchetTree tree = RatchetTree.fromNodes(c, nodes);
    if (!Arrays.equals(tree.treeHash(), root)) {
      throw new IllegalStateException("fixture tree hash mismatch");
    }
    Group first = member(services, config, c, gc, tree, epochSecret, enc, sig, 0);
    Group second = member(services, config, c, gc, tree.copy(), epochSecret, enc, sig, 1);
    Arrays.fill(epochSecret, (byte) 0);
    return new Populated(first, second, nodes);
  }

  private static Group member(GroupServices services, GroupConfig config, MlsCrypto c, GroupContext gc, RatchetTree tree,
      byte[] epochSecret, KeyPair[] enc, KeyPair[] sig, int leaf) throws CryptoException {
    EpochSecrets secrets = KeySchedule.fromEpochSecret(c, epochSecret);
    byte[] tag = secrets.confirmationTag(gc.confirmedTranscriptHash().unsafeArray());
    Bytes interim = Bytes.wrap(TranscriptHash.interim(c, gc.confirmedTranscriptHash().unsafeArray(), tag));
    PathKeys keys = new PathKeys();
    keys.put(2 * leaf, Secret.copyOf(enc[2 * leaf].privateKey().unsafeArray()));
    for (int x : tree.directPath(leaf)) {
      if (enc[x] != null) {
        keys.put(x, Secret.copyOf(enc[x].privateKey().unsafeArray()));
      }
    }
    EpochState st = new EpochState(gc, tree, interim, secrets,
        new SecretTree(c, secrets.encryptionSecret(), tree.leafCount(), config.outOfOrder()), keys, leaf);
    return Group.ofState(services, config, Secret.copyOf(sig[leaf].privateKey().unsafeArray()), st);
  }

  /** A parent node is non-blank in a populated tree when members sit below both of its children. */
  private static boolean nonBlankParent(int x, int members) {
    int k = TreeMath.level(x);
    int firstRight = (x + 1) / 2; // first leaf of the right subtree
    return k > 0 && firstRight < members;
  }

  private static final class Builder {
    final MlsCrypto c;
    final Bytes groupId;
    final int members;
    final KeyPair[] sig;
    final KeyPair[] enc;
    final Node[] nodes;
    final Capabilities caps;
    final int leaves;

    Builder(MlsCrypto c, Bytes groupId, int members, KeyPair[] sig, KeyPair[] enc, Node[] nodes) {
      this.leaves = (nodes.length + 1) / 2;
      this.c = c;
      this.caps = KeyPackages.defaultCapabilities(c.cipherSuite());
      this.groupId = groupId;
      this.members = members;
      this.sig = sig;
      this.enc = enc;
      this.nodes = nodes;
    }

    Credential credential(int l) {
      return new Credential.Basic(Bytes.wrap(("member-" + l).getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }

    /** Whether the leaf at node x carries its parent's hash: it is the left end of some non-blank parent's left subtree. */
    boolean chained(int x) {
      int y = x;
      int root = TreeMath.root(leaves);
      while (y != root) {
        int p = TreeMath.parent(y, leaves);
        if (TreeMath.left(p) != y) {
          return false;
        }
        if (nonBlankParent(p, members)) {
          return true;
        }
        y = p;
      }
      return false;
    }

    LeafNode keyPackageLeaf(int l) {
      LeafNode unsigned = new LeafNode(enc[2 * l].publicKey(), sig[l].publicKey(), credential(l), caps,
          LeafNodeSource.KEY_PACKAGE, new Lifetime(0, Long.MAX_VALUE), null, List.of(), Bytes.EMPTY);
      return sign(unsigned, l);
    }

    LeafNode sign(LeafNode unsigned, int l) {
      try {
        return unsigned.withSignature(c.signWithLabel(sig[l].privateKey(), "LeafNodeTBS", unsigned.toBeSigned(groupId, l)));
      } catch (CryptoException e) {
        throw new IllegalStateException(e);
      }
    }

    /**
     * Fills the subtree at {@code x}, whose filtered representative must carry {@code parentHash}
     * (null: none), and returns its tree hash.
     */
    byte[] finish(int x, byte[] parentHash) throws CryptoException {
      if (TreeMath.isLeaf(x)) {
        int l = x / 2;
        if (l < members && parentHash != null) {
          LeafNode unsigned = new LeafNode(enc[x].publicKey(), sig[l].publicKey(), credential(l), caps,
              LeafNodeSource.COMMIT, null, Bytes.wrap(parentHash), List.of(), Bytes.EMPTY);
          nodes[x] = sign(unsigned, l);
        }
        TlsWriter w = new TlsWriter(512);
        w.u8(1).u32(l).optional((LeafNode) nodes[x]);
        return c.hash(w.toByteArray());
      }
      int left = TreeMath.left(x);
      int right = TreeMath.right(x);
      if (enc[x] == null) {
        // Blank: its resolution is its left subtree's, which therefore carries the chain.
        byte[] hl = finish(left, parentHash);
        byte[] hr = finish(right, null);
        return parentHashInput(x, null, hl, hr);
      }
      ParentNode p = new ParentNode(enc[x].publicKey(),
          parentHash == null ? Bytes.wrap(c.randomBytes(c.hashLength())) : Bytes.wrap(parentHash), List.of());
      nodes[x] = p;
      byte[] hr = finish(right, null);
      TlsWriter ph = new TlsWriter(128);
      ph.opaque(p.encryptionKey()).opaque(p.parentHash()).opaque(Bytes.wrap(hr));
      byte[] hl = finish(left, c.hash(ph.toByteArray()));
      return parentHashInput(x, p, hl, hr);
    }

    private byte[] parentHashInput(int x, ParentNode p, byte[] hl, byte[] hr) {
      TlsWriter w = new TlsWriter(256);
      w.u8(2).optional(p).opaque(Bytes.wrap(hl)).opaque(Bytes.wrap(hr));
      return c.hash(w.toByteArray());
    }
  }
}
