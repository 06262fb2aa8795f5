package org.jmls.client;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jmls.Bytes;
import org.jmls.group.Group;

/**
 * Generations skipped in a sender's application ratchet between two messages received from it in
 * one epoch (RFC 9420 §9.4): those messages were lost, or arrive later.
 */
final class GenerationGaps {
  /** Per group, epoch and sender leaf: the highest application generation received. */
  private final Map<Bytes, TreeMap<Long, Map<Integer, Integer>>> generations = new HashMap<>();
  private final List<MlsClient.Gap> gaps = new ArrayList<>();

  void note(Bytes gid, Group.ApplicationMessage a, String device) {
    TreeMap<Long, Map<Integer, Integer>> byEpoch = generations.computeIfAbsent(gid, k -> new TreeMap<>());
    Map<Integer, Integer> bySender = byEpoch.computeIfAbsent(a.epoch(), k -> new HashMap<>());
    Integer last = bySender.get(a.senderLeaf());
    if (last != null && a.generation() > last + 1) {
      gaps.add(new MlsClient.Gap(gid, device, a.epoch(), last + 1, a.generation() - 1));
    }
    if (last == null || a.generation() > last) {
      bySender.put(a.senderLeaf(), a.generation());
    }
    byEpoch.headMap(a.epoch() - 3).clear(); // past epochs beyond the retained ones cannot deliver anything more
  }

  /** The gaps noted since the last {@link #clear()}. */
  List<MlsClient.Gap> seen() {
    return List.copyOf(gaps);
  }

  void clear() {
    gaps.clear();
  }
}
