package org.jmls.tree;

/**
 * Array-based left-balanced binary tree arithmetic (RFC 9420 §4.1 and Appendix C). Leaves sit at
 * even node indices (leaf {@code i} is node {@code 2i}); parents at odd indices, a node's level
 * being the number of trailing one bits of its index. Trees always have a power-of-two number of
 * leaves. Indices are node indices unless a name says leaf.
 */
public final class TreeMath {
  private TreeMath() {}

  /** floor(log2(x)) for x > 0; 0 for x = 0. */
  public static int log2(int x) {
    return x == 0 ? 0 : 31 - Integer.numberOfLeadingZeros(x);
  }

  /** Level of node {@code x}: leaves are level 0. */
  public static int level(int x) {
    return Integer.numberOfTrailingZeros(~x);
  }

  /** Number of nodes of a tree with {@code nLeaves} leaves: 2n - 1 (0 for n = 0). */
  public static int nodeWidth(int nLeaves) {
    return nLeaves == 0 ? 0 : 2 * (nLeaves - 1) + 1;
  }

  /** The root node of a tree with {@code nLeaves} leaves. */
  public static int root(int nLeaves) {
    return (1 << log2(nodeWidth(nLeaves))) - 1;
  }

  public static boolean isLeaf(int x) {
    return (x & 1) == 0;
  }

  public static int leafToNode(int leafIndex) {
    return 2 * leafIndex;
  }

  public static int nodeToLeaf(int node) {
    return node >>> 1;
  }

  /** Left child of parent node {@code x}. */
  public static int left(int x) {
    int k = level(x);
    if (k == 0) {
      throw new IllegalArgumentException("leaf " + x + " has no children");
    }
    return x ^ (1 << (k - 1));
  }

  /** Right child of parent node {@code x}. */
  public static int right(int x) {
    int k = level(x);
    if (k == 0) {
      throw new IllegalArgumentException("leaf " + x + " has no children");
    }
    return x ^ (3 << (k - 1));
  }

  /** Parent of node {@code x} in a tree of {@code nLeaves} leaves; {@code x} must not be the root. */
  public static int parent(int x, int nLeaves) {
    if (x == root(nLeaves)) {
      throw new IllegalArgumentException("the root has no parent");
    }
    int k = level(x);
    int b = (x >> (k + 1)) & 1;
    return (x | (1 << k)) ^ (b << (k + 1));
  }

  /** The other child of {@code x}'s parent. */
  public static int sibling(int x, int nLeaves) {
    int p = parent(x, nLeaves);
    return x < p ? right(p) : left(p);
  }
}
