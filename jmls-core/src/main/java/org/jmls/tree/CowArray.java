package org.jmls.tree;

import java.util.Arrays;

/**
 * An array of references in chunks of 1,024 that copies in O(n / 1024): a copy shares every chunk
 * and whichever side writes to a shared chunk first takes a private copy of that chunk. A commit
 * changes O(log n) nodes, so copying the tree for the next epoch touches O(log n) chunks instead
 * of two arrays of 2n entries, and the epochs kept for late messages share their unchanged parts.
 */
final class CowArray<T> {
  private static final int SHIFT = 10;
  private static final int CHUNK = 1 << SHIFT;
  private static final int MASK = CHUNK - 1;

  private Object[][] chunks;
  private boolean[] owned;
  private int length;

  CowArray(int length) {
    this.length = length;
    this.chunks = new Object[chunksFor(length)][];
    this.owned = new boolean[chunks.length];
  }

  private CowArray(Object[][] chunks, int length) {
    this.chunks = chunks;
    this.owned = new boolean[chunks.length];
    this.length = length;
  }

  private static int chunksFor(int length) {
    return (length + CHUNK - 1) >>> SHIFT;
  }

  int length() {
    return length;
  }

  @SuppressWarnings("unchecked")
  T get(int i) {
    if (i < 0 || i >= length) {
      throw new ArrayIndexOutOfBoundsException(i);
    }
    Object[] c = chunks[i >>> SHIFT];
    return c == null ? null : (T) c[i & MASK];
  }

  void set(int i, T value) {
    if (i < 0 || i >= length) {
      throw new ArrayIndexOutOfBoundsException(i);
    }
    int k = i >>> SHIFT;
    Object[] c = chunks[k];
    if (c == null) {
      if (value == null) {
        return;
      }
      c = new Object[CHUNK];
      chunks[k] = c;
      owned[k] = true;
    } else if (!owned[k]) {
      c = c.clone();
      chunks[k] = c;
      owned[k] = true;
    }
    c[i & MASK] = value;
  }

  /** A copy sharing every chunk; from now on neither side writes to a shared chunk in place. */
  CowArray<T> copy() {
    Arrays.fill(owned, false);
    return new CowArray<>(chunks.clone(), length);
  }

  /** Changes the length; entries past a shorter length are dropped, entries of a longer one start null. */
  void resize(int newLength) {
    for (int i = newLength; i < Math.min(length, chunksFor(newLength) << SHIFT); i++) {
      set(i, null);
    }
    chunks = Arrays.copyOf(chunks, chunksFor(newLength));
    owned = Arrays.copyOf(owned, chunks.length);
    length = newLength;
  }
}
