package org.jmls.tree;

import java.util.HashMap;
import java.util.Map;
import javax.security.auth.Destroyable;
import org.jmls.crypto.Secret;

/**
 * The HPKE private keys one member holds for tree nodes (its leaf and ancestors), by node index.
 * Replaced keys are destroyed (§7.5: "each outdated node key pair that was replaced by the update").
 */
public final class PathKeys implements Destroyable {
  private final Map<Integer, Secret> keys = new HashMap<>();

  public Secret get(int node) {
    return keys.get(node);
  }

  public boolean has(int node) {
    return keys.containsKey(node);
  }

  /** Stores {@code key} for {@code node}, destroying the key it replaces. */
  public void put(int node, Secret key) {
    Secret old = keys.put(node, key);
    if (old != null && old != key) {
      old.destroy();
    }
  }

  /** Destroys and forgets the key of {@code node}, if any. */
  public void remove(int node) {
    Secret old = keys.remove(node);
    if (old != null) {
      old.destroy();
    }
  }

  public int size() {
    return keys.size();
  }

  /** Node indices held. */
  public java.util.Set<Integer> nodes() {
    return java.util.Collections.unmodifiableSet(keys.keySet());
  }

  /** Writes the keys (for group state persistence; the caller encrypts at rest). */
  public void writeTo(org.jmls.codec.TlsWriter w) {
    int start = w.beginVector();
    for (Map.Entry<Integer, Secret> e : new java.util.TreeMap<>(keys).entrySet()) {
      w.u32(e.getKey()).opaque(e.getValue().unsafeArray());
    }
    w.endVector(start);
  }

  /** Reads keys written by {@link #writeTo}. */
  public static PathKeys readFrom(org.jmls.codec.TlsReader r) throws org.jmls.codec.DecodeException {
    PathKeys k = new PathKeys();
    r.vector(x -> {
      k.keys.put(x.u32(), Secret.wrap(x.opaque().toByteArray()));
      return Boolean.TRUE;
    });
    return k;
  }

  /** A copy whose keys are independent copies. */
  public PathKeys copy() {
    PathKeys c = new PathKeys();
    keys.forEach((n, s) -> c.keys.put(n, Secret.copyOf(s.unsafeArray())));
    return c;
  }

  @Override
  public void destroy() {
    keys.values().forEach(Secret::destroy);
    keys.clear();
  }

  @Override
  public boolean isDestroyed() {
    return keys.isEmpty();
  }

  @Override
  public String toString() {
    return "PathKeys[" + keys.size() + " nodes, redacted]";
  }
}
