package org.jmls.tree;

import java.security.SecureRandom;
import org.jmls.Bytes;

/**
 * Public key → node (or leaf) index, for the uniqueness checks of §7.3 and §12.4.2 in O(1)-ish
 * time, as a persistent hash array mapped trie: {@link #copy()} is O(1) (the copy shares every trie
 * node) and a change rebuilds only the O(log32 n) nodes on its key's path. A commit copies the tree
 * for the next epoch and changes O(log n) keys, so the index costs O(log n) per commit at any size.
 *
 * <p>Keys are public keys a group member may choose freely (an X25519 key is any 32 bytes), so the
 * trie is addressed by a hash keyed with a per-process random seed rather than {@link
 * Bytes#hashCode()}: colliding keys cannot be prepared in advance. Equal 64-bit hashes share a
 * collision node.
 */
final class KeyIndex {
  private static final long SEED = new SecureRandom().nextLong();
  private static final int BITS = 5;
  private static final int MASK = (1 << BITS) - 1;

  private final java.util.function.ToLongFunction<Bytes> hasher;
  private Object root;
  private int size;

  KeyIndex() {
    this(KeyIndex::hash);
  }

  /** With another hash function: tests use degenerate ones to exercise collisions. */
  KeyIndex(java.util.function.ToLongFunction<Bytes> hasher) {
    this.hasher = hasher;
  }

  private KeyIndex(java.util.function.ToLongFunction<Bytes> hasher, Object root, int size) {
    this.hasher = hasher;
    this.root = root;
    this.size = size;
  }

  private record Leaf(Bytes key, long hash, int value) {}

  private record Collision(long hash, Leaf[] leaves) {}

  private record Branch(int bitmap, Object[] slots) {}

  /** The index stored for {@code key}, or -1. */
  int get(Bytes key) {
    long h = hasher.applyAsLong(key);
    Object n = root;
    int shift = 0;
    while (n != null) {
      if (n instanceof Leaf l) {
        return l.hash == h && l.key.equals(key) ? l.value : -1;
      }
      if (n instanceof Collision c) {
        if (c.hash == h) {
          for (Leaf l : c.leaves) {
            if (l.key.equals(key)) {
              return l.value;
            }
          }
        }
        return -1;
      }
      Branch b = (Branch) n;
      int bit = 1 << index(h, shift);
      if ((b.bitmap & bit) == 0) {
        return -1;
      }
      n = b.slots[Integer.bitCount(b.bitmap & (bit - 1))];
      shift += BITS;
    }
    return -1;
  }

  void put(Bytes key, int index) {
    long h = hasher.applyAsLong(key);
    boolean[] added = new boolean[1];
    root = put(root, 0, new Leaf(key, h, index), added);
    if (added[0]) {
      size++;
    }
  }

  /** Removes {@code key} only while it maps to {@code index}. */
  void remove(Bytes key, int index) {
    if (get(key) != index) {
      return;
    }
    root = remove(root, 0, hasher.applyAsLong(key), key);
    size--;
  }

  int size() {
    return size;
  }

  /** An independent copy: O(1), the two share their trie nodes, which are never modified. */
  KeyIndex copy() {
    return new KeyIndex(hasher, root, size);
  }

  private static int index(long hash, int shift) {
    return (int) (hash >>> shift) & MASK;
  }

  private static long hashOf(Object n) {
    return n instanceof Leaf l ? l.hash : ((Collision) n).hash;
  }

  private static Object put(Object n, int shift, Leaf leaf, boolean[] added) {
    if (n == null) {
      added[0] = true;
      return leaf;
    }
    if (n instanceof Leaf l) {
      if (l.hash == leaf.hash && l.key.equals(leaf.key)) {
        return leaf;
      }
      added[0] = true;
      return l.hash == leaf.hash ? new Collision(l.hash, new Leaf[] {l, leaf}) : merge(l, leaf, shift);
    }
    if (n instanceof Collision c) {
      if (c.hash != leaf.hash) {
        added[0] = true;
        return merge(c, leaf, shift);
      }
      for (int i = 0; i < c.leaves.length; i++) {
        if (c.leaves[i].key.equals(leaf.key)) {
          Leaf[] ls = c.leaves.clone();
          ls[i] = leaf;
          return new Collision(c.hash, ls);
        }
      }
      Leaf[] ls = java.util.Arrays.copyOf(c.leaves, c.leaves.length + 1);
      ls[c.leaves.length] = leaf;
      added[0] = true;
      return new Collision(c.hash, ls);
    }
    Branch b = (Branch) n;
    int bit = 1 << index(leaf.hash, shift);
    int pos = Integer.bitCount(b.bitmap & (bit - 1));
    if ((b.bitmap & bit) != 0) {
      Object[] slots = b.slots.clone();
      slots[pos] = put(b.slots[pos], shift + BITS, leaf, added);
      return new Branch(b.bitmap, slots);
    }
    Object[] slots = new Object[b.slots.length + 1];
    System.arraycopy(b.slots, 0, slots, 0, pos);
    slots[pos] = leaf;
    System.arraycopy(b.slots, pos, slots, pos + 1, b.slots.length - pos);
    added[0] = true;
    return new Branch(b.bitmap | bit, slots);
  }

  /** A branch holding two leaves (or collision nodes) of different hashes, from level {@code shift} down. */
  private static Object merge(Object a, Object b, int shift) {
    int ia = index(hashOf(a), shift);
    int ib = index(hashOf(b), shift);
    if (ia == ib) {
      return new Branch(1 << ia, new Object[] {merge(a, b, shift + BITS)});
    }
    return new Branch((1 << ia) | (1 << ib), ia < ib ? new Object[] {a, b} : new Object[] {b, a});
  }

  /** Removes a key known to be present. A branch left with one leaf is replaced by that leaf. */
  private static Object remove(Object n, int shift, long hash, Bytes key) {
    if (n instanceof Leaf) {
      return null;
    }
    if (n instanceof Collision c) {
      Leaf[] ls = new Leaf[c.leaves.length - 1];
      int j = 0;
      for (Leaf l : c.leaves) {
        if (!l.key.equals(key)) {
          ls[j++] = l;
        }
      }
      return ls.length == 1 ? ls[0] : new Collision(c.hash, ls);
    }
    Branch b = (Branch) n;
    int bit = 1 << index(hash, shift);
    int pos = Integer.bitCount(b.bitmap & (bit - 1));
    Object child = remove(b.slots[pos], shift + BITS, hash, key);
    if (child == null) {
      if (b.slots.length == 1) {
        return null;
      }
      Object[] slots = new Object[b.slots.length - 1];
      System.arraycopy(b.slots, 0, slots, 0, pos);
      System.arraycopy(b.slots, pos + 1, slots, pos, slots.length - pos);
      if (slots.length == 1 && !(slots[0] instanceof Branch)) {
        return slots[0];
      }
      return new Branch(b.bitmap & ~bit, slots);
    }
    if (b.slots.length == 1 && !(child instanceof Branch)) {
      return child;
    }
    Object[] slots = b.slots.clone();
    slots[pos] = child;
    return new Branch(b.bitmap, slots);
  }

  /** A 64-bit hash of the whole key under the process seed (word-wise multiply-xorshift mixing). */
  static long hash(Bytes key) {
    byte[] a = key.unsafeArray();
    long h = SEED ^ (a.length * 0x9E3779B97F4A7C15L);
    int i = 0;
    for (; i + 8 <= a.length; i += 8) {
      long w = 0;
      for (int k = 7; k >= 0; k--) {
        w = (w << 8) | (a[i + k] & 0xFF);
      }
      h = mix(h ^ w);
    }
    long w = 0;
    for (int k = a.length - 1; k >= i; k--) {
      w = (w << 8) | (a[k] & 0xFF);
    }
    return mix(h ^ w ^ 0x5bd1e995L);
  }

  private static long mix(long x) {
    x ^= x >>> 33;
    x *= 0xff51afd7ed558ccdL;
    x ^= x >>> 33;
    x *= 0xc4ceb9fe1a85ec53L;
    x ^= x >>> 33;
    return x;
  }
}
