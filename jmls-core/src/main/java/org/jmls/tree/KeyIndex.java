package org.jmls.tree;

import java.util.HashMap;
import java.util.Map;
import org.jmls.Bytes;

/**
 * Public key → node (or leaf) index, for the uniqueness checks of §7.3 and §12.4.2 in O(1). Copying
 * is O(changes), not O(n): a copy shares the base map, which is never modified once shared, and
 * each side records its own changes in a small overlay, folded into a fresh base when it grows past
 * a quarter of the base (so lookups stay two probes and the amortized cost of a change is O(1)).
 */
final class KeyIndex {
  private static final Integer GONE = -1;

  private Map<Bytes, Integer> base;
  private boolean shared;
  private HashMap<Bytes, Integer> overlay = new HashMap<>();

  KeyIndex() {
    base = new HashMap<>();
  }

  private KeyIndex(Map<Bytes, Integer> base, HashMap<Bytes, Integer> overlay) {
    this.base = base;
    this.shared = true;
    this.overlay = overlay;
  }

  /** The index stored for {@code key}, or -1. */
  int get(Bytes key) {
    Integer v = overlay.get(key);
    if (v == null) {
      v = base.get(key);
    }
    return v == null ? -1 : v;
  }

  void put(Bytes key, int index) {
    if (!shared) {
      base.put(key, index);
      return;
    }
    overlay.put(key, index);
    foldIfLarge();
  }

  /** Removes {@code key} only while it maps to {@code index}. */
  void remove(Bytes key, int index) {
    if (get(key) != index) {
      return;
    }
    if (!shared) {
      base.remove(key);
      return;
    }
    overlay.put(key, GONE);
    foldIfLarge();
  }

  /** Number of keys (O(changes) after a copy; the base is counted once). */
  int size() {
    if (overlay.isEmpty()) {
      return base.size();
    }
    fold();
    return base.size();
  }

  KeyIndex copy() {
    shared = true;
    return new KeyIndex(base, new HashMap<>(overlay));
  }

  private void foldIfLarge() {
    if (overlay.size() > 64 && overlay.size() > base.size() / 4) {
      fold();
    }
  }

  private void fold() {
    Map<Bytes, Integer> merged = new HashMap<>(base);
    overlay.forEach((k, v) -> {
      if (v.equals(GONE)) {
        merged.remove(k);
      } else {
        merged.put(k, v);
      }
    });
    base = merged;
    shared = false;
    overlay = new HashMap<>();
  }
}
