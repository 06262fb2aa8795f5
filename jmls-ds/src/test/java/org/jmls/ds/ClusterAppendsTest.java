package org.jmls.ds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  @Test
  void tails_aBatchTooLargeForOneNotification_splitIntoPartsThatEachFit_togetherEveryEntryInOrder() {
    List<Appended> batch = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      batch.add(entry(1000 + i, "a@x/" + i, Set.of("b@x/1", "c@x/1"), 300 + i));
    }
    int room = ClusterBus.MAX_DATA - "1000 1099".length();
    List<String> tails = ClusterAppends.tails(batch, 1000, room);
    assertTrue(tails.size() > 1 && tails.size() <= ClusterAppends.MAX_PARTS, "parts: " + tails.size());
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < tails.size(); i++) {
      String t = tails.get(i);
      assertTrue(t.length() <= room, "part " + i + " has " + t.length() + " characters");
      String head = " " + (i + 1) + "/" + tails.size() + " ";
      assertTrue(t.startsWith(head), t.substring(0, 10));
      parts.add(t.substring(head.length()));
    }
    List<Appended> out = ClusterAppends.inlined(parts, 1000, 1099, null);
    assertEquals(batch.stream().map(Appended::seq).toList(), out.stream().map(Appended::seq).toList());
    for (int i = 0; i < 100; i++) {
      assertEquals(batch.get(i).message(), out.get(i).message());
      assertEquals(batch.get(i).sender(), out.get(i).sender());
    }
    // A batch that fits: one tail without a part header.
    assertEquals(List.of(" " + ClusterAppends.inline(batch.subList(0, 3), 1000, room - 1)), ClusterAppends.tails(batch.subList(0, 3), 1000, room));
    // One entry that fits in no notification, or more parts than allowed: nothing inline (the range is read back).
    assertEquals(List.of(""), ClusterAppends.tails(List.of(entry(1, "a@x/1", Set.of("b@x/1"), 8_000)), 1, room));
    List<Appended> huge = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      huge.add(entry(i, "a@x/1", Set.of("b@x/1"), 300));
    }
    assertEquals(List.of(""), ClusterAppends.tails(huge, 0, room));
    // A part that does not decode spoils the whole range.
    List<String> spoiled = new ArrayList<>(parts);
    spoiled.set(1, "AAAA");
    assertNull(ClusterAppends.inlined(spoiled, 1000, 1099, null));
  }

  @Test
  void parts_aRangeIsCompleteOnceEachPartCame_inAnyOrder_malformedOnesIgnored() {
    ClusterAppends.Parts parts = new ClusterAppends.Parts();
    assertNull(parts.add(10, "2/3", "b"));
    assertNull(parts.add(20, "1/2", "x")); // another range, interleaved
    assertNull(parts.add(10, "3/3", "c"));
    for (String bad : new String[] {"0/3", "4/3", "1/2", "x/3", "1/", "/3", "1-3", "1/33"}) {
      assertNull(parts.add(10, bad, "z"), bad);
    }
    assertEquals(List.of("a", "b", "c"), parts.add(10, "1/3", "a"));
    assertEquals(1, parts.waiting());
    assertEquals(List.of("x", "y"), parts.add(20, "2/2", "y"));
    assertEquals(0, parts.waiting());
    assertEquals(List.of("only"), parts.add(30, "1/1", "only"));
  }
}
