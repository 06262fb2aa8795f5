package org.jmls.tree;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.CryptoException;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.message.HpkeCiphertext;
import org.jmls.message.LeafNode;
import org.jmls.message.LeafNodeSource;
import org.jmls.message.Node;
import org.jmls.message.ParentNode;
import org.jmls.message.UpdatePath;
import org.jmls.message.UpdatePathNode;

/**
 * TreeKEM (RFC 9420 §7.4–§7.6): creating an UpdatePath as committer and decrypting one as
 * receiver. Path and node secrets are wiped as soon as the keys and commit secret are derived.
 */
public final class TreeKem {
  private TreeKem() {}

  /** node_priv, node_pub = DeriveKeyPair(DeriveSecret(path_secret, "node")) (§7.4). */
  public static KeyPair nodeKeyPair(MlsCrypto c, byte[] pathSecret) throws CryptoException {
    byte[] nodeSecret = c.deriveSecret(pathSecret, "node");
    try {
      return c.deriveKeyPair(nodeSecret);
    } finally {
      Arrays.fill(nodeSecret, (byte) 0);
    }
  }

  /**
   * The node key pairs of {@code secrets} (each a path secret, §7.4), derived on {@code executor}
   * when given: the secrets chain cheaply, but each DeriveKeyPair is a full key generation (an
   * ML-KEM one costs two X25519 ones), and they do not depend on each other.
   */
  static KeyPair[] nodeKeyPairs(MlsCrypto c, byte[][] secrets, ExecutorService executor) throws CryptoException {
    KeyPair[] out = new KeyPair[secrets.length];
    int chunks = executor == null ? 1 : Math.min(secrets.length, Runtime.getRuntime().availableProcessors());
    if (chunks < 2) {
      derive(c, secrets, out, 0, 1);
      return out;
    }
    // Interleaved chunks, one per core; the caller derives the first itself rather than waiting idle.
    List<Future<Void>> fs = new ArrayList<>(chunks - 1);
    for (int k = 1; k < chunks; k++) {
      int first = k;
      int step = chunks;
      fs.add(executor.submit(() -> {
        derive(c, secrets, out, first, step);
        return null;
      }));
    }
    derive(c, secrets, out, 0, chunks);
    for (Future<Void> f : fs) {
      await(f);
    }
    return out;
  }

  private static void derive(MlsCrypto c, byte[][] secrets, KeyPair[] out, int first, int step) throws CryptoException {
    for (int i = first; i < secrets.length; i += step) {
      out[i] = nodeKeyPair(c, secrets[i]);
    }
  }

  /**
   * A committer's new path, applied to its tree but not yet encrypted: the tree hash now reflects
   * it, so the caller can build the provisional GroupContext and then call {@link #encrypt}.
   */
  public static final class PendingPath {
    private final RatchetTree tree;
    private final int leafIndex;
    private final int[] fdp;
    private final byte[][] pathSecrets;
    private final LeafNode leaf;
    private final Bytes[] keys;
    private final Secret commitSecret;
    private final PathKeys privateKeys;

    private PendingPath(RatchetTree tree, int leafIndex, int[] fdp, byte[][] pathSecrets, LeafNode leaf,
        Bytes[] keys, Secret commitSecret, PathKeys privateKeys) {
      this.tree = tree;
      this.leafIndex = leafIndex;
      this.fdp = fdp;
      this.pathSecrets = pathSecrets;
      this.leaf = leaf;
      this.keys = keys;
      this.commitSecret = commitSecret;
      this.privateKeys = privateKeys;
    }

    /** The committer's new, signed leaf. */
    public LeafNode leaf() {
      return leaf;
    }

    public Secret commitSecret() {
      return commitSecret;
    }

    /** Private keys for the committer's new leaf and filtered direct path. */
    public PathKeys privateKeys() {
      return privateKeys;
    }

    /** The path secret of the {@code node} on the filtered direct path (for a Welcome), or null. */
    public byte[] pathSecretFor(int node) {
      for (int i = 0; i < fdp.length; i++) {
        if (fdp[i] == node) {
          return pathSecrets[i].clone();
        }
      }
      return null;
    }

    public int[] filteredDirectPath() {
      return fdp.clone();
    }

    /**
     * Encrypts each path secret to the resolution of its copath child, leaving out the leaves in
     * {@code excludedLeaves} (members added by this commit), with {@code groupContext} as HPKE
     * context (§7.6). Independent encryptions run on {@code executor} when given. The path secrets
     * stay available for the Welcome ({@link #pathSecretFor}) until {@link #destroy()}.
     */
    public UpdatePath encrypt(byte[] groupContext, int[] excludedLeaves, ExecutorService executor)
        throws CryptoException {
      MlsCrypto c = tree.crypto();
      List<UpdatePathNode> nodes = new ArrayList<>(fdp.length);
      List<List<Future<HpkeCiphertext>>> pending = new ArrayList<>();
      List<List<HpkeCiphertext>> done = new ArrayList<>();
      java.util.BitSet excluded = leafSet(excludedLeaves);
      org.jmls.crypto.Hpke.Info context = c.encryptionContext("UpdatePathNode", groupContext); // the same for every recipient
      for (int i = 0; i < fdp.length; i++) {
        int copathChild = TreeMath.sibling(childToward(tree, fdp[i], 2 * leafIndex), tree.leafCount());
        int[] res = resolutionExcluding(tree, copathChild, excluded);
        List<Future<HpkeCiphertext>> fs = new ArrayList<>();
        List<HpkeCiphertext> cts = new ArrayList<>();
        byte[] secret = pathSecrets[i];
        for (int r : res) {
          Bytes pk = encryptionKeyOf(tree.node(r));
          if (executor == null) {
            cts.add(c.encryptWithLabel(pk, context, secret));
          } else {
            fs.add(executor.submit(() -> c.encryptWithLabel(pk, context, secret)));
          }
        }
        pending.add(fs);
        done.add(cts);
      }
      for (int i = 0; i < fdp.length; i++) {
        List<HpkeCiphertext> cts = done.get(i);
        for (Future<HpkeCiphertext> f : pending.get(i)) {
          cts.add(await(f));
        }
        nodes.add(new UpdatePathNode(keys[i], cts));
      }
      return new UpdatePath(leaf, nodes);
    }

    /** Wipes the path secrets and the committer's copies of the new private keys. */
    public void destroy() {
      for (byte[] s : pathSecrets) {
        Arrays.fill(s, (byte) 0);
      }
      privateKeys.destroy();
    }
  }

  private static <T> T await(Future<T> f) throws CryptoException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CryptoException("interrupted while waiting for a path operation", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof CryptoException) {
        throw (CryptoException) e.getCause();
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  static Bytes encryptionKeyOf(Node n) {
    return n instanceof LeafNode ? ((LeafNode) n).encryptionKey() : ((ParentNode) n).encryptionKey();
  }

  /** The child of ancestor {@code p} on the way down to {@code x}. */
  static int childToward(RatchetTree t, int p, int x) {
    int c = x;
    while (TreeMath.parent(c, t.leafCount()) != p) {
      c = TreeMath.parent(c, t.leafCount());
    }
    return c;
  }

  /** The leaves to leave out of resolutions (members added by the commit), as a set; null for none. */
  static java.util.BitSet leafSet(int[] leaves) {
    if (leaves == null || leaves.length == 0) {
      return null;
    }
    java.util.BitSet set = new java.util.BitSet();
    for (int l : leaves) {
      set.set(l);
    }
    return set;
  }

  static int[] resolutionExcluding(RatchetTree t, int node, java.util.BitSet excluded) {
    int[] res = t.resolution(node);
    if (excluded == null) {
      return res;
    }
    return Arrays.stream(res).filter(r -> !(TreeMath.isLeaf(r) && excluded.get(r / 2))).toArray();
  }

  /**
   * Generates a fresh path for {@code leafIndex} (§7.4–§7.5) and applies it to {@code tree}:
   * blanks the direct path, sets the filtered direct path's keys and parent hashes, and installs a
   * new leaf built from {@code base} (its signature key, credential, capabilities and extensions)
   * with a fresh encryption key, source commit, the parent hash, signed with {@code signatureKey}.
   */
  public static PendingPath createPath(
      RatchetTree tree, int leafIndex, LeafNode base, Secret signatureKey, Bytes groupId)
      throws CryptoException, ValidationException {
    return createPath(tree, leafIndex, base, signatureKey, groupId, null);
  }

  /** {@link #createPath(RatchetTree, int, LeafNode, Secret, Bytes)}, deriving the node keys on {@code executor} when given. */
  public static PendingPath createPath(
      RatchetTree tree, int leafIndex, LeafNode base, Secret signatureKey, Bytes groupId, ExecutorService executor)
      throws CryptoException, ValidationException {
    MlsCrypto c = tree.crypto();
    byte[] leafSecret = c.randomBytes(c.hashLength());
    int[] fdp = tree.filteredDirectPath(leafIndex);
    byte[][] pathSecrets = new byte[fdp.length][];
    Bytes[] keys = new Bytes[fdp.length];
    PathKeys priv = new PathKeys();
    byte[] ps = leafSecret;
    byte[][] secrets = new byte[fdp.length + 1][];
    for (int i = 0; i < fdp.length; i++) {
      ps = c.deriveSecret(ps, "path");
      pathSecrets[i] = ps;
      secrets[i] = ps;
    }
    secrets[fdp.length] = leafSecret;
    KeyPair[] pairs = nodeKeyPairs(c, secrets, executor);
    for (int i = 0; i < fdp.length; i++) {
      keys[i] = pairs[i].publicKey();
      priv.put(fdp[i], pairs[i].privateKey());
    }
    Secret commitSecret = Secret.wrap(c.deriveSecret(ps, "path"));
    KeyPair leafKeys = pairs[fdp.length];
    Arrays.fill(leafSecret, (byte) 0);
    priv.put(2 * leafIndex, leafKeys.privateKey());
    byte[] parentHash = tree.applyPathKeys(leafIndex, Arrays.asList(keys));
    LeafNode unsigned = new LeafNode(leafKeys.publicKey(), base.signatureKey(), base.credential(),
        base.capabilities(), LeafNodeSource.COMMIT, null, Bytes.wrap(parentHash), base.extensions(), Bytes.EMPTY);
    Bytes signature = c.signWithLabel(signatureKey, "LeafNodeTBS", unsigned.toBeSigned(groupId, leafIndex));
    LeafNode leaf = unsigned.withSignature(signature);
    tree.setLeaf(leafIndex, leaf);
    return new PendingPath(tree, leafIndex, fdp, pathSecrets, leaf, keys, commitSecret, priv);
  }

  /** What a receiver learns from an UpdatePath. */
  public record ReceivedPath(int commonAncestor, Secret pathSecret, Secret commitSecret) {}

  /**
   * Decrypts an UpdatePath that has already been merged into {@code tree} ({@link
   * RatchetTree#mergeUpdatePath}), as the member at {@code myLeaf} holding {@code keys} (§7.5):
   * finds the lowest filtered-direct-path node above it, decrypts that path secret, derives the
   * rest up to the root, checks every derived public key against the tree, and stores the new
   * private keys in {@code keys} (dropping keys of nodes the path blanked). Returns the path secret
   * decrypted and the commit secret.
   */
  public static ReceivedPath decryptPath(
      RatchetTree tree, int myLeaf, int senderLeaf, UpdatePath path, byte[] groupContext,
      PathKeys keys, int[] excludedLeaves) throws ValidationException, CryptoException {
    return decryptPath(tree, myLeaf, senderLeaf, path, groupContext, keys, excludedLeaves, null);
  }

  /** {@link #decryptPath(RatchetTree, int, int, UpdatePath, byte[], PathKeys, int[])}, deriving the node keys on {@code executor} when given. */
  public static ReceivedPath decryptPath(
      RatchetTree tree, int myLeaf, int senderLeaf, UpdatePath path, byte[] groupContext,
      PathKeys keys, int[] excludedLeaves, ExecutorService executor) throws ValidationException, CryptoException {
    MlsCrypto c = tree.crypto();
    int[] fdp = tree.filteredDirectPath(senderLeaf);
    if (path.nodes().size() != fdp.length) {
      throw new ValidationException("rfc9420-7.6.path-length", "UpdatePath length does not match the filtered direct path");
    }
    int me = 2 * myLeaf;
    for (int i = 0; i < fdp.length; i++) {
      int copathChild = TreeMath.sibling(childToward(tree, fdp[i], 2 * senderLeaf), tree.leafCount());
      if (!covers(copathChild, me)) {
        continue;
      }
      int[] res = resolutionExcluding(tree, copathChild, leafSet(excludedLeaves));
      List<HpkeCiphertext> cts = path.nodes().get(i).encryptedPathSecret();
      if (cts.size() != res.length) {
        throw new ValidationException(
            "rfc9420-7.6.ciphertext-count", "node " + fdp[i] + " has " + cts.size() + " ciphertexts for a resolution of " + res.length);
      }
      int j = -1;
      for (int k = 0; k < res.length; k++) {
        if (keys.has(res[k])) {
          j = k;
          break;
        }
      }
      if (j < 0) {
        throw new ValidationException("rfc9420-7.5.no-private-key", "no private key for the resolution of node " + copathChild);
      }
      byte[] ps = c.decryptWithLabel(keys.get(res[j]), "UpdatePathNode", groupContext, cts.get(j));
      Secret decrypted = Secret.copyOf(ps);
      for (int x : tree.directPath(senderLeaf)) {
        if (tree.node(x) == null) {
          keys.remove(x);
        }
      }
      byte[][] secrets = new byte[fdp.length - i][];
      for (int k = i; k < fdp.length; k++) {
        if (k > i) {
          ps = c.deriveSecret(ps, "path");
        }
        secrets[k - i] = ps;
      }
      KeyPair[] pairs;
      try {
        pairs = nodeKeyPairs(c, secrets, executor);
      } finally {
        for (int k = 0; k < secrets.length - 1; k++) {
          Arrays.fill(secrets[k], (byte) 0);
        }
      }
      for (int k = i; k < fdp.length; k++) {
        if (!pairs[k - i].publicKey().equals(path.nodes().get(k).encryptionKey())) {
          throw new ValidationException(
              "rfc9420-7.5.public-key-mismatch", "derived public key for node " + fdp[k] + " differs from the UpdatePath");
        }
      }
      for (int k = i; k < fdp.length; k++) {
        keys.put(fdp[k], pairs[k - i].privateKey());
      }
      Secret commit = Secret.wrap(c.deriveSecret(ps, "path"));
      Arrays.fill(ps, (byte) 0);
      return new ReceivedPath(fdp[i], decrypted, commit);
    }
    throw new ValidationException("rfc9420-7.5.not-covered", "leaf " + myLeaf + " is not below the sender's filtered direct path");
  }

  private static boolean covers(int ancestor, int x) {
    int k = TreeMath.level(ancestor);
    return x >= ancestor - ((1 << k) - 1) && x <= ancestor + ((1 << k) - 1);
  }
}
