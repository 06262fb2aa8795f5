package org.jmls.tree;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.TlsWriter;
import org.jmls.crypto.MlsCrypto;
import org.jmls.message.LeafNode;
import org.jmls.message.LeafNodeSource;
import org.jmls.message.Node;
import org.jmls.message.ParentNode;
import org.jmls.message.UpdatePath;
import org.jmls.message.UpdatePathNode;

/**
 * The public ratchet tree of RFC 9420 §4 and §7, array-based (Appendix C), built for groups of
 * 100,000 members:
 *
 * <ul>
 *   <li>tree hashes (§7.8) are cached per node and invalidated only along the path to the root of a
 *       node that changed, so one Add, Remove or UpdatePath costs O(log n) hashes, not O(n);
 *   <li>hash maps from encryption key to node and from signature key to leaf make duplicate
 *       checks O(1);
 *   <li>truncation and extension keep every cached hash that is still valid.
 * </ul>
 *
 * <p>The tree holds no secrets. It is mutable for speed; state machines stage changes on a {@link
 * #copy()} and swap it in on merge. Not thread-safe.
 */
public final class RatchetTree {
  private static final int[] NONE = new int[0];

  private final MlsCrypto crypto;
  private CowArray<Node> nodes;
  private CowArray<byte[]> hashes;
  private int leafCount;
  private final KeyIndex encryptionKeys;
  private final KeyIndex signatureKeys;
  /** Leaves per credential type in use, for the §7.3 credential rule without a scan of the tree. */
  private final Map<Integer, Integer> credentialTypes;
  private long hashComputations;
  /** No leaf below this index is blank: where {@link #addLeaf} starts looking (bulk adds stay linear). */
  private int firstFreeHint;

  private RatchetTree(MlsCrypto crypto, int leafCount) {
    this.crypto = crypto;
    this.leafCount = leafCount;
    this.nodes = new CowArray<>(TreeMath.nodeWidth(leafCount));
    this.hashes = new CowArray<>(nodes.length());
    this.encryptionKeys = new KeyIndex();
    this.signatureKeys = new KeyIndex();
    this.credentialTypes = new HashMap<>();
  }

  private RatchetTree(RatchetTree o) {
    crypto = o.crypto;
    leafCount = o.leafCount;
    nodes = o.nodes.copy();
    hashes = o.hashes.copy();
    encryptionKeys = o.encryptionKeys.copy();
    signatureKeys = o.signatureKeys.copy();
    credentialTypes = new HashMap<>(o.credentialTypes);
    firstFreeHint = o.firstFreeHint;
  }

  /** A one-member tree, as when creating a group (§11). */
  public static RatchetTree withFirstLeaf(MlsCrypto crypto, LeafNode leaf) {
    RatchetTree t = new RatchetTree(crypto, 1);
    t.set(0, leaf);
    return t;
  }

  /**
   * The tree from its wire form ({@code optional<Node> ratchet_tree<V>}, §12.4.3.3, null for blank):
   * checks the shape (leaves at even indices, parents at odd, last node non-blank) and that no
   * encryption or signature key repeats. Cryptographic checks are {@link #verifyParentHashes},
   * {@link #verifyLeafSignatures} and {@link #verifyUnmergedLeaves}.
   */
  public static RatchetTree fromNodes(MlsCrypto crypto, List<Node> list) throws ValidationException {
    return fromNodes(crypto, list, null);
  }

  /**
   * As {@link #fromNodes(MlsCrypto, List)}, sharing storage with {@code similar} (a neighbouring
   * epoch's tree, or null) wherever the nodes are equal: the result costs memory in proportion to
   * the differences, as if it had been derived from {@code similar} by commits. Leaves with equal
   * capabilities share one Capabilities value.
   */
  public static RatchetTree fromNodes(MlsCrypto crypto, List<Node> list, RatchetTree similar) throws ValidationException {
    if (list.isEmpty()) {
      throw new ValidationException("rfc9420-12.4.3.3.empty-tree", "the ratchet tree has no nodes");
    }
    if (list.get(list.size() - 1) == null) {
      throw new ValidationException("rfc9420-12.4.3.3.trailing-blank", "the last node of the ratchet tree is blank");
    }
    if (list.size() > (1 << 30)) {
      throw new ValidationException("rfc9420-12.4.3.3.too-large", "ratchet tree too large");
    }
    int leaves = 1;
    while (TreeMath.nodeWidth(leaves) < list.size()) {
      leaves <<= 1;
    }
    RatchetTree t;
    if (similar == null || similar.crypto != crypto) {
      t = new RatchetTree(crypto, leaves);
    } else {
      t = similar.copy();
      int width = TreeMath.nodeWidth(leaves);
      for (int x = width; x < t.nodes.length(); x++) {
        if (t.nodes.get(x) != null) {
          t.set(x, null);
        }
      }
      if (width != t.nodes.length()) {
        // A node's subtree and hash do not depend on the tree's width, so cached hashes stay valid.
        t.nodes.resize(width);
        t.hashes.resize(width);
        t.leafCount = leaves;
      }
    }
    Map<org.jmls.message.Capabilities, org.jmls.message.Capabilities> capabilities = new HashMap<>();
    for (int x = 0; x < t.nodes.length(); x++) {
      Node n = x < list.size() ? list.get(x) : null;
      if (n != null && TreeMath.isLeaf(x) != (n instanceof LeafNode)) {
        throw new ValidationException(
            "rfc9420-12.4.3.3.node-type", "node " + x + " is a " + n.nodeType() + " node at a " + (TreeMath.isLeaf(x) ? "leaf" : "parent") + " position");
      }
      Node old = t.nodes.get(x);
      if (old == n || (old != null && old.equals(n))) {
        continue;
      }
      if (n instanceof LeafNode l) {
        org.jmls.message.Capabilities c = capabilities.putIfAbsent(l.capabilities(), l.capabilities());
        if (c != null && c != l.capabilities()) {
          n = new LeafNode(l.encryptionKey(), l.signatureKey(), l.credential(), c, l.leafNodeSource(), l.lifetime(),
              l.parentHash(), l.extensions(), l.signature());
        }
      }
      t.set(x, n);
    }
    if (t.encryptionKeys.size() != t.countNonBlank()) {
      throw new ValidationException("rfc9420-7.9.2.duplicate-encryption-key", "two nodes share an encryption key");
    }
    if (t.signatureKeys.size() != t.countNonBlankLeaves()) {
      throw new ValidationException("rfc9420-7.3.duplicate-signature-key", "two leaves share a signature key");
    }
    return t;
  }

  private int countNonBlank() {
    int n = 0;
    for (int i = 0; i < nodes.length(); i++) {
      if (nodes.get(i) != null) {
        n++;
      }
    }
    return n;
  }

  private int countNonBlankLeaves() {
    int n = 0;
    for (int x = 0; x < nodes.length(); x += 2) {
      if (nodes.get(x) != null) {
        n++;
      }
    }
    return n;
  }

  /** An independent copy sharing the immutable node values. */
  public RatchetTree copy() {
    return new RatchetTree(this);
  }

  public MlsCrypto crypto() {
    return crypto;
  }

  /** Number of leaves of the full tree, blank or not (a power of two). */
  public int leafCount() {
    return leafCount;
  }

  /** Number of nodes of the full tree. */
  public int nodeCount() {
    return nodes.length();
  }

  /** Number of non-blank leaves. */
  public int memberCount() {
    return signatureKeys.size();
  }

  /** The credential types of the current leaves (§7.3: every member must support all of them). */
  public java.util.Set<Integer> credentialTypesInUse() {
    return java.util.Collections.unmodifiableSet(credentialTypes.keySet());
  }

  public Node node(int x) {
    return nodes.get(x);
  }

  /** The leaf at {@code leafIndex}, or null if blank or outside the tree. */
  public LeafNode leaf(int leafIndex) {
    return leafIndex >= 0 && leafIndex < leafCount ? (LeafNode) nodes.get(2 * leafIndex) : null;
  }

  public ParentNode parentNode(int x) {
    return (ParentNode) nodes.get(x);
  }

  /** Leaf index holding {@code signatureKey}, or -1. */
  public int leafWithSignatureKey(Bytes signatureKey) {
    return signatureKeys.get(signatureKey);
  }

  /** Node index holding {@code encryptionKey}, or -1. */
  public int nodeWithEncryptionKey(Bytes encryptionKey) {
    return encryptionKeys.get(encryptionKey);
  }

  /** The wire form: nodes in array order, trailing blank nodes removed (§12.4.3.3). */
  public List<Node> toNodes() {
    int end = nodes.length();
    while (end > 0 && nodes.get(end - 1) == null) {
      end--;
    }
    Node[] out = new Node[end];
    for (int x = 0; x < end; x++) {
      out[x] = nodes.get(x);
    }
    return Collections.unmodifiableList(Arrays.asList(out));
  }

  // ------------------------------------------------------------------ mutation

  private void set(int x, Node n) {
    Node old = nodes.get(x);
    if (old != null) {
      encryptionKeys.remove(encryptionKey(old), x);
      if (old instanceof LeafNode) {
        signatureKeys.remove(((LeafNode) old).signatureKey(), x / 2);
        credentialTypes.computeIfPresent(((LeafNode) old).credential().credentialType(), (k, v) -> v == 1 ? null : v - 1);
      }
    }
    nodes.set(x, n);
    if (n == null && TreeMath.isLeaf(x) && x / 2 < firstFreeHint) {
      firstFreeHint = x / 2;
    }
    if (n != null) {
      encryptionKeys.put(encryptionKey(n), x);
      if (n instanceof LeafNode) {
        signatureKeys.put(((LeafNode) n).signatureKey(), x / 2);
        credentialTypes.merge(((LeafNode) n).credential().credentialType(), 1, Integer::sum);
      }
    }
    invalidate(x);
  }

  private static Bytes encryptionKey(Node n) {
    return n instanceof LeafNode ? ((LeafNode) n).encryptionKey() : ((ParentNode) n).encryptionKey();
  }

  /** Marks the hashes of {@code x} and its ancestors stale: O(log n). */
  private void invalidate(int x) {
    int root = TreeMath.root(leafCount);
    while (true) {
      hashes.set(x, null);
      if (x == root) {
        return;
      }
      x = TreeMath.parent(x, leafCount);
    }
  }

  /** Doubles the tree (§7.7): the old tree becomes the left subtree of a new blank root. */
  private void extend() {
    int newLeaves = leafCount * 2;
    nodes.resize(TreeMath.nodeWidth(newLeaves));
    hashes.resize(nodes.length());
    leafCount = newLeaves;
    // Only the new root (and the new all-blank right subtree) lack hashes; existing ones stay valid.
  }

  /** Halves the tree while its right subtree holds no non-blank leaf (§7.7). */
  private void truncate() {
    int last = -1;
    for (int l = leafCount - 1; l >= 0; l--) {
      if (nodes.get(2 * l) != null) {
        last = l;
        break;
      }
    }
    int newLeaves = leafCount;
    while (newLeaves > 1 && last < newLeaves / 2) {
      newLeaves /= 2;
    }
    if (newLeaves == leafCount) {
      return;
    }
    for (int x = TreeMath.nodeWidth(newLeaves); x < nodes.length(); x++) {
      if (nodes.get(x) != null) {
        set(x, null);
      }
    }
    nodes.resize(TreeMath.nodeWidth(newLeaves));
    hashes.resize(nodes.length());
    leafCount = newLeaves;
  }

  /**
   * Adds a member (§12.1.1): the leftmost blank leaf, extending the tree if there is none; the new
   * leaf index joins the unmerged leaves of every non-blank parent above it. Returns the leaf index.
   */
  public int addLeaf(LeafNode leaf) {
    int l = Math.min(firstFreeHint, leafCount);
    while (l < leafCount && nodes.get(2 * l) != null) {
      l++;
    }
    firstFreeHint = l + 1;
    if (l == leafCount) {
      extend();
    }
    for (int x : directPath(l)) {
      ParentNode p = (ParentNode) nodes.get(x);
      if (p != null) {
        List<Integer> unmerged = new ArrayList<>(p.unmergedLeaves());
        unmerged.add(l);
        set(x, new ParentNode(p.encryptionKey(), p.parentHash(), unmerged));
      }
    }
    set(2 * l, leaf);
    return l;
  }

  /** Replaces a member's leaf and blanks its direct path (Update proposal, §12.1.2). */
  public void updateLeaf(int leafIndex, LeafNode leaf) {
    blankDirectPath(leafIndex);
    set(2 * leafIndex, leaf);
  }

  /** Blanks a member's leaf and direct path, then truncates (Remove proposal, §12.1.3). */
  public void removeLeaf(int leafIndex) {
    blankDirectPath(leafIndex);
    set(2 * leafIndex, null);
    truncate();
  }

  private void blankDirectPath(int leafIndex) {
    for (int x : directPath(leafIndex)) {
      if (nodes.get(x) != null) {
        set(x, null);
      }
    }
  }

  // ------------------------------------------------------------------ paths and resolutions

  /** Parent nodes from the leaf's parent to the root (§4.1.2). */
  public int[] directPath(int leafIndex) {
    int x = 2 * leafIndex;
    int root = TreeMath.root(leafCount);
    if (x == root) {
      return NONE;
    }
    int[] out = new int[TreeMath.level(root)];
    int n = 0;
    while (x != root) {
      x = TreeMath.parent(x, leafCount);
      out[n++] = x;
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  /** The sibling of the leaf and of each node of its direct path except the root. */
  public int[] copath(int leafIndex) {
    int x = 2 * leafIndex;
    int root = TreeMath.root(leafCount);
    int[] out = new int[TreeMath.level(root)];
    int n = 0;
    while (x != root) {
      out[n++] = TreeMath.sibling(x, leafCount);
      x = TreeMath.parent(x, leafCount);
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  /** Direct-path nodes whose copath child has a non-empty resolution (§4.1.2). */
  public int[] filteredDirectPath(int leafIndex) {
    int[] dp = directPath(leafIndex);
    int[] cp = copath(leafIndex);
    int[] out = new int[dp.length];
    int n = 0;
    for (int i = 0; i < dp.length; i++) {
      if (!resolutionIsEmpty(cp[i])) {
        out[n++] = dp[i];
      }
    }
    return Arrays.copyOf(out, n);
  }

  private boolean resolutionIsEmpty(int x) {
    if (nodes.get(x) != null) {
      return false;
    }
    if (TreeMath.isLeaf(x)) {
      return true;
    }
    return resolutionIsEmpty(TreeMath.left(x)) && resolutionIsEmpty(TreeMath.right(x));
  }

  /** The resolution of a node (§4.1.1), as node indices. */
  public int[] resolution(int x) {
    List<Integer> out = new ArrayList<>();
    resolve(x, out);
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  private void resolve(int x, List<Integer> out) {
    Node n = nodes.get(x);
    if (n != null) {
      out.add(x);
      if (n instanceof ParentNode) {
        for (int l : ((ParentNode) n).unmergedLeaves()) {
          out.add(2 * l);
        }
      }
    } else if (!TreeMath.isLeaf(x)) {
      resolve(TreeMath.left(x), out);
      resolve(TreeMath.right(x), out);
    }
  }

  // ------------------------------------------------------------------ tree hash (§7.8)

  /** The tree hash of the root. */
  public byte[] treeHash() {
    return treeHash(TreeMath.root(leafCount)).clone();
  }

  /** The tree hash of node {@code x}, from the cache where valid. The array must not be modified. */
  public byte[] treeHash(int x) {
    byte[] h = hashes.get(x);
    if (h == null) {
      h = computeHash(x, null);
      hashes.set(x, h);
    }
    return h;
  }

  /**
   * The root tree hash computed from scratch, ignoring and not touching the cache: the reference
   * the incremental hashes are tested and benchmarked against.
   */
  public byte[] treeHashFromScratch() {
    return scratchHash(TreeMath.root(leafCount));
  }

  private byte[] scratchHash(int x) {
    TlsWriter w = new TlsWriter(512);
    if (TreeMath.isLeaf(x)) {
      w.u8(1).u32(x / 2).optional((LeafNode) nodes.get(x));
    } else {
      w.u8(2).optional((ParentNode) nodes.get(x));
      w.opaque(scratchHash(TreeMath.left(x))).opaque(scratchHash(TreeMath.right(x)));
    }
    return crypto.hash(w.toByteArray());
  }

  /** How many node hashes this tree has computed into its cache (tests the O(log n) claim). */
  long hashComputations() {
    return hashComputations;
  }

  private byte[] computeHash(int x, int[] excluded) {
    hashComputations++;
    TlsWriter w = new TlsWriter(512);
    if (TreeMath.isLeaf(x)) {
      LeafNode leaf = (LeafNode) nodes.get(x);
      if (leaf != null && contains(excluded, x / 2)) {
        leaf = null;
      }
      w.u8(1).u32(x / 2).optional(leaf);
    } else {
      ParentNode p = (ParentNode) nodes.get(x);
      if (p != null && excluded != null && !p.unmergedLeaves().isEmpty()) {
        List<Integer> kept = new ArrayList<>();
        for (int l : p.unmergedLeaves()) {
          if (!contains(excluded, l)) {
            kept.add(l);
          }
        }
        p = new ParentNode(p.encryptionKey(), p.parentHash(), kept);
      }
      w.u8(2).optional(p);
      w.opaque(hashExcluding(TreeMath.left(x), excluded));
      w.opaque(hashExcluding(TreeMath.right(x), excluded));
    }
    return crypto.hash(w.toByteArray());
  }

  private static boolean contains(int[] set, int v) {
    if (set != null) {
      for (int s : set) {
        if (s == v) {
          return true;
        }
      }
    }
    return false;
  }

  /** Tree hash of {@code x} with the {@code excluded} leaves blanked and dropped from unmerged lists. */
  private byte[] hashExcluding(int x, int[] excluded) {
    if (excluded == null || excluded.length == 0 || !coversAny(x, excluded)) {
      return treeHash(x);
    }
    return computeHash(x, excluded);
  }

  private static boolean coversAny(int x, int[] leaves) {
    int k = TreeMath.level(x);
    int first = (x - ((1 << k) - 1)) / 2;
    int last = (x + ((1 << k) - 1)) / 2;
    for (int l : leaves) {
      if (l >= first && l <= last) {
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ parent hash (§7.9)

  /**
   * The parent hash of parent node {@code p} with copath child {@code s}: Hash(ParentHashInput{
   * encryption_key, parent_hash, original_sibling_tree_hash}), the sibling's tree hash taken with
   * p's unmerged leaves removed.
   */
  public byte[] parentHash(int p, int s) {
    ParentNode pn = (ParentNode) nodes.get(p);
    int[] excluded = pn.unmergedLeaves().stream().mapToInt(Integer::intValue).toArray();
    TlsWriter w = new TlsWriter(256);
    w.opaque(pn.encryptionKey()).opaque(pn.parentHash()).opaque(hashExcluding(s, excluded));
    return crypto.hash(w.toByteArray());
  }

  /**
   * Checks that every non-blank parent node is parent-hash valid (§7.9.2), top down: exactly one
   * descendant D must carry P's parent hash with the unmerged-leaf condition.
   */
  public void verifyParentHashes() throws ValidationException {
    for (int p = 1; p < nodes.length(); p += 2) {
      if (nodes.get(p) == null) {
        continue;
      }
      int matches = 0;
      for (int side = 0; side < 2; side++) {
        int c = side == 0 ? TreeMath.left(p) : TreeMath.right(p);
        int s = side == 0 ? TreeMath.right(p) : TreeMath.left(p);
        Bytes ph = Bytes.wrap(parentHash(p, s));
        int[] res = resolution(c);
        List<Integer> unmergedUnderC = new ArrayList<>();
        for (int l : ((ParentNode) nodes.get(p)).unmergedLeaves()) {
          if (coversAny(c, new int[] {l})) {
            unmergedUnderC.add(2 * l);
          }
        }
        if (res.length != unmergedUnderC.size() + 1) {
          continue;
        }
        for (int d : res) {
          if (!ph.equals(parentHashField(d))) {
            continue;
          }
          boolean rest = true;
          for (int other : res) {
            if (other != d && !unmergedUnderC.contains(other)) {
              rest = false;
            }
          }
          if (rest) {
            matches++;
          }
        }
      }
      if (matches != 1) {
        throw new ValidationException(
            "rfc9420-7.9.2.parent-hash", "parent node " + p + " is not parent-hash valid (" + matches + " chains)");
      }
    }
  }

  private Bytes parentHashField(int d) {
    Node n = nodes.get(d);
    if (n instanceof ParentNode) {
      return ((ParentNode) n).parentHash();
    }
    LeafNode l = (LeafNode) n;
    return l.leafNodeSource() == LeafNodeSource.COMMIT ? l.parentHash() : null;
  }

  /**
   * Checks the unmerged-leaf rules of §12.4.3.1: each entry names a non-blank leaf below the parent,
   * and every non-blank node between them lists it too.
   */
  public void verifyUnmergedLeaves() throws ValidationException {
    for (int p = 1; p < nodes.length(); p += 2) {
      ParentNode pn = (ParentNode) nodes.get(p);
      if (pn == null) {
        continue;
      }
      for (int l : pn.unmergedLeaves()) {
        if (l < 0 || l >= leafCount || nodes.get(2 * l) == null || !coversAny(p, new int[] {l})) {
          throw new ValidationException(
              "rfc9420-12.4.3.1.unmerged-leaf", "parent " + p + " lists unmerged leaf " + l + " that is blank or not below it");
        }
        for (int x = TreeMath.parent(2 * l, leafCount); x != p; x = TreeMath.parent(x, leafCount)) {
          ParentNode between = (ParentNode) nodes.get(x);
          if (between != null && !between.unmergedLeaves().contains(l)) {
            throw new ValidationException(
                "rfc9420-12.4.3.1.unmerged-leaf-chain", "node " + x + " between leaf " + l + " and " + p + " does not list it as unmerged");
          }
        }
      }
    }
  }

  private ValidationException leafSignatureRefusal(int leafIndex) {
    return crypto.signatureRefusal(leaf(leafIndex).signatureKey(), "leaf " + leafIndex + "'s signature_key", "rfc9420-7.3.leaf-signature",
        "leaf " + leafIndex + " has an invalid signature");
  }

  /** Whether the leaf at {@code leafIndex} carries a valid signature (§7.2). */
  public boolean leafSignatureValid(int leafIndex, Bytes groupId) {
    LeafNode leaf = leaf(leafIndex);
    return leaf != null
        && crypto.verifyWithLabel(leaf.signatureKey(), "LeafNodeTBS", leaf.toBeSigned(groupId, leafIndex), leaf.signature());
  }

  /**
   * Verifies every leaf signature (§12.4.3.1), spread over {@code executor} when given (each check
   * is independent; a join at 10^5 members is bound by these).
   */
  public void verifyLeafSignatures(Bytes groupId, ExecutorService executor) throws ValidationException {
    org.jmls.ParallelRanges.check(executor, leafCount, 256, (from, to) -> {
      for (int l = from; l < to; l++) {
        if (nodes.get(2 * l) != null && !leafSignatureValid(l, groupId)) {
          throw leafSignatureRefusal(l);
        }
      }
    });
  }

  // ------------------------------------------------------------------ UpdatePath merge (§7.5)

  /**
   * Blanks the sender's direct path and sets its filtered direct path to the keys of {@code path},
   * computing parent hashes root first; returns the parent hash the sender's new leaf must carry.
   * The leaf itself is not set. Fails if the path length does not match.
   */
  public byte[] applyPathKeys(int senderLeaf, List<Bytes> keys) throws ValidationException {
    int[] fdp = filteredDirectPath(senderLeaf);
    if (keys.size() != fdp.length) {
      throw new ValidationException(
          "rfc9420-7.6.path-length", "UpdatePath has " + keys.size() + " nodes, the filtered direct path " + fdp.length);
    }
    blankDirectPath(senderLeaf);
    byte[] parentHash = new byte[0];
    for (int i = fdp.length - 1; i >= 0; i--) {
      set(fdp[i], new ParentNode(keys.get(i), Bytes.wrap(parentHash), List.of()));
      // The hash fdp[i] hands down: to fdp[i-1]'s parent_hash field, or for i = 0 to the leaf.
      int child = ancestorChild(fdp[i], 2 * senderLeaf);
      parentHash = parentHash(fdp[i], TreeMath.sibling(child, leafCount));
    }
    return parentHash;
  }

  /** The child of ancestor {@code p} that lies on the path to {@code x}. */
  private int ancestorChild(int p, int x) {
    int c = x;
    while (TreeMath.parent(c, leafCount) != p) {
      c = TreeMath.parent(c, leafCount);
    }
    return c;
  }

  /**
   * Merges a received UpdatePath's public part (§7.5): new path keys, parent hashes, and the new
   * leaf, after checking the leaf's parent_hash against the recomputed chain.
   */
  public void mergeUpdatePath(int senderLeaf, UpdatePath path) throws ValidationException {
    List<Bytes> keys = new ArrayList<>(path.nodes().size());
    for (UpdatePathNode n : path.nodes()) {
      keys.add(n.encryptionKey());
    }
    byte[] expected = applyPathKeys(senderLeaf, keys);
    LeafNode leaf = path.leafNode();
    if (leaf.leafNodeSource() != LeafNodeSource.COMMIT || !Bytes.wrap(expected).equals(leaf.parentHash())) {
      throw new ValidationException("rfc9420-7.9.2.leaf-parent-hash", "the committer's leaf does not carry the parent hash of its path");
    }
    set(2 * senderLeaf, leaf);
  }

  /** Sets a leaf without touching its path (the committer's own leaf after {@link #applyPathKeys}). */
  public void setLeaf(int leafIndex, LeafNode leaf) {
    set(2 * leafIndex, leaf);
  }
}
