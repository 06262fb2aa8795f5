package org.jmls.client;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.jmls.Bytes;
import org.jmls.group.Group;
import org.jmls.message.LeafNode;

/**
 * When each member leaf of each group (by its encryption key, which changes with every update) was
 * first seen by this device: the policy's self-update interval and staleness limit (RFC 9750 §7)
 * are judged on it.
 */
final class LeafAges {
  private final Map<Bytes, Map<Bytes, Long>> seen = new HashMap<>();

  /** Notes the leaves of {@code g} (null: the group is gone) as seen at {@code now}, forgetting leaves that left. */
  void observe(Bytes gid, Group g, long now) {
    if (g == null) {
      seen.remove(gid);
      return;
    }
    Map<Bytes, Long> ages = seen.computeIfAbsent(gid, k -> new LinkedHashMap<>());
    Set<Bytes> current = new HashSet<>();
    for (LeafNode leaf : g.members().values()) {
      current.add(leaf.encryptionKey());
      ages.putIfAbsent(leaf.encryptionKey(), now);
    }
    ages.keySet().retainAll(current);
  }

  /**
   * Notes one leaf of {@code g} (this device's own, after its commit): O(1), where {@link #observe}
   * reads every leaf. Others' new keys are noted by the next full observation (maintain()), so
   * they look younger than they are, never older: no device is judged stale early.
   */
  void observeLeaf(Bytes gid, Group g, int leafIndex, long now) {
    LeafNode leaf = g == null ? null : g.member(leafIndex);
    if (leaf != null) {
      seen.computeIfAbsent(gid, k -> new LinkedHashMap<>()).putIfAbsent(leaf.encryptionKey(), now);
    }
  }

  /** When {@code leaf} was first seen in group {@code gid}, or null if never. */
  Long firstSeen(Bytes gid, LeafNode leaf) {
    Map<Bytes, Long> ages = seen.get(gid);
    return ages == null ? null : ages.get(leaf.encryptionKey());
  }
}
