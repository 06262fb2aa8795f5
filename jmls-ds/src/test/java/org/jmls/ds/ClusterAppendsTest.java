package org.jmls.ds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jmls.Bytes;
import org.jmls.ds.GroupDirectory.Appended;
import org.jmls.ds.GroupDirectory.Kind;
import org.jmls.service.ClusterBus;
import org.junit.jupiter.api.Test;

/** Appends carried in a cluster notification: what goes in comes out, narrowed to the devices online at the node. */
class ClusterAppendsTest {
  private static Appended entry(long seq, String sender, Set<String> readers, int size) {
    return new Appended(seq, Bytes.wrap(new byte[] {1, 2, 3}), Kind.APPLICATION, sender, Bytes.wrap(new byte[size]), readers);
  }

  @Test
  void inline_roundTrip_readersNarrowedToThisNode_entriesForNoOneHereDropped() {
    List<Appended> in = List.of(entry(7, "a@x/1", Set.of("b@x/1", "c@x/1"), 100), entry(8, "b@x/1", Set.of("a@x/1", "c@x/1"), 50),
        new Appended(9, Bytes.wrap(new byte[] {4}), Kind.WELCOME, "", Bytes.wrap(new byte[] {9}), Set.of("d@x/1")));
    String data = ClusterAppends.inline(in, 7, ClusterBus.MAX_DATA);
    List<Appended> out = ClusterAppends.inlined(data, 7, 9, Set.of("c@x/1", "a@x/1"));
    assertEquals(2, out.size());
    assertEquals(7, out.get(0).seq());
    assertEquals(Set.of("c@x/1"), out.get(0).readers());
    assertEquals("a@x/1", out.get(0).sender());
    assertEquals(in.get(0).message(), out.get(0).message());
    assertEquals(in.get(0).groupId(), out.get(0).groupId());
    assertEquals(Set.of("a@x/1", "c@x/1"), out.get(1).readers());
    assertEquals(Kind.APPLICATION, out.get(1).kind());
    assertEquals(List.of(), ClusterAppends.inlined(data, 7, 9, Set.of("z@x/1")));
  }

  @Test
  void inline_tooLargeForANotification_null_garbage_null() {
    List<Appended> big = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      big.add(entry(i, "a@x/1", Set.of("b@x/1"), 200));
    }
    assertNull(ClusterAppends.inline(big, 0, ClusterBus.MAX_DATA));
    assertNull(ClusterAppends.inlined("not base64 !", 0, 9, Set.of("b@x/1")));
    assertNull(ClusterAppends.inlined("AAAA", 0, 9, Set.of("b@x/1"))); // truncated entry
    // numbered from 7, the entries are 7, 8, 9: a range that ends before the last is not believed
    String data = ClusterAppends.inline(List.of(entry(7, "a@x/1", Set.of("b@x/1"), 1), entry(9, "a@x/1", Set.of("b@x/1"), 1)), 7, ClusterBus.MAX_DATA);
    assertEquals(List.of(7L, 9L), ClusterAppends.inlined(data, 7, 9, null).stream().map(Appended::seq).toList());
    assertNull(ClusterAppends.inlined(data, 7, 8, null));
    assertNull(ClusterAppends.inline(List.of(entry(6, "a@x/1", Set.of("b@x/1"), 1)), 7, ClusterBus.MAX_DATA)); // below the first
  }
}
