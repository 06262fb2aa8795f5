package org.jmls.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.ds.Federated;
import org.jmls.ds.GroupDirectory.Kind;
import org.junit.jupiter.api.Test;

/**
 * The in-memory handoff of a peer's entries: taken only while the chain from the last complete
 * read is unbroken; anything else sends the worker back to the database.
 */
class HandoffTest {
  private static Federated.Entry e(long seq) {
    return new Federated.Entry(seq, Bytes.wrap(new byte[] {1}), Kind.APPLICATION, Bytes.wrap(new byte[] {(byte) seq}),
        List.of("bob@example.org/phone"));
  }

  private static List<Long> seqs(List<Federated.Entry> entries) {
    return entries == null ? null : entries.stream().map(Federated.Entry::seq).toList();
  }

  @Test
  void nothingFromMemoryBeforeACompleteRead() {
    Handoff h = new Handoff();
    h.appended(List.of(e(1)), 1);
    assertNull(h.take(0, 10), "never read: the database first");
    long marked = h.mark();
    h.read(marked, 0, new Federated.Outbox(List.of(e(1)), false));
    assertNull(h.take(1, 10), "an incomplete read: the database again");
  }

  @Test
  void aftersACompleteRead_appendsComeFromMemory_inOrder_andOnlyFromWhereTheWorkerIs() {
    Handoff h = new Handoff();
    h.appended(List.of(e(3)), 4);
    long marked = h.mark();
    assertEquals(4, marked);
    // Appends told while the read runs: 5 was committed before it (the read saw it), 7 after.
    h.appended(List.of(e(5)), 5);
    h.appended(List.of(), 6); // owed nothing to this peer
    h.appended(List.of(e(7)), 7);
    h.read(marked, 0, new Federated.Outbox(List.of(e(3), e(5)), true));
    assertEquals(List.of(7L), seqs(h.take(5, 10)), "what the read saw is not handed again");
    assertEquals(List.of(), seqs(h.take(7, 10)), "nothing new");
    h.appended(List.of(e(8), e(9), e(10)), 10);
    assertEquals(List.of(8L, 9L), seqs(h.take(7, 2)));
    assertEquals(List.of(10L), seqs(h.take(9, 2)));
    // A delivery failed: the worker goes back to what the peer confirmed, which memory cannot serve.
    assertNull(h.take(7, 10));
  }

  @Test
  void appendsNotHeard_theDatabaseUntilTheNextCompleteRead() {
    Handoff h = new Handoff();
    h.read(h.mark(), 0, new Federated.Outbox(List.of(), true));
    h.appended(List.of(e(65_536)), 131_071); // a block of several nodes, announced with its entries
    assertEquals(List.of(65_536L), seqs(h.take(0, 10)));
    h.lost(196_607); // the next block's entries were read back for this node's devices only
    h.appended(List.of(e(196_608)), 262_143);
    assertNull(h.take(65_536, 10), "what was not heard may be owed: the database");
    long marked = h.mark();
    assertEquals(262_143, marked);
    h.read(marked, 65_536, new Federated.Outbox(List.of(e(131_072), e(196_608)), true));
    h.appended(List.of(e(262_144)), 327_679);
    assertEquals(List.of(262_144L), seqs(h.take(196_608, 10)), "after a complete read, memory again");
  }

  @Test
  void anEmptyCompleteRead_handsOverWhatFollows() {
    Handoff h = new Handoff();
    h.appended(List.of(), 20); // appends owed to other peers only
    long marked = h.mark();
    h.read(marked, 12, new Federated.Outbox(List.of(), true));
    h.appended(List.of(e(21)), 21);
    assertEquals(List.of(21L), seqs(h.take(12, 10)));
  }

  @Test
  void messagesBeyondTheByteBound_areReadFromTheDatabase() {
    Handoff h = new Handoff();
    h.read(h.mark(), 0, new Federated.Outbox(List.of(), true));
    Bytes half = Bytes.wrap(new byte[(int) (Handoff.CAPACITY_BYTES / 2)]);
    h.appended(List.of(new Federated.Entry(1, Bytes.wrap(new byte[] {1}), Kind.WELCOME, half, List.of("bob@example.org/phone"))), 1);
    assertEquals(List.of(1L), seqs(h.take(0, 10)), "one large Welcome fits");
    h.appended(List.of(new Federated.Entry(2, Bytes.wrap(new byte[] {1}), Kind.WELCOME, half, List.of("bob@example.org/phone"))), 2);
    h.appended(List.of(new Federated.Entry(3, Bytes.wrap(new byte[] {1}), Kind.WELCOME, half, List.of("bob@example.org/phone"))), 3);
    assertEquals(List.of(2L, 3L), seqs(h.take(1, 10)), "two, taken before a third: the bound counts what is kept");
    h.appended(List.of(new Federated.Entry(4, Bytes.wrap(new byte[] {1}), Kind.WELCOME, half, List.of("bob@example.org/phone")),
        new Federated.Entry(5, Bytes.wrap(new byte[] {1}), Kind.WELCOME, half, List.of("bob@example.org/phone")), e(6)), 6);
    assertNull(h.take(3, 10), "more than the bound: dropped, read from the database");
  }

  @Test
  void aBacklogBeyondCapacity_isReadFromTheDatabase() {
    Handoff h = new Handoff();
    long marked = h.mark();
    h.read(marked, 0, new Federated.Outbox(List.of(), true));
    List<Federated.Entry> many = new ArrayList<>();
    for (int i = 1; i <= Handoff.CAPACITY + 1; i++) {
      many.add(e(i));
    }
    h.appended(many, Handoff.CAPACITY + 1);
    assertNull(h.take(0, 10), "entries were dropped: read them");
    // Dropped during the read too: that read does not reopen memory.
    marked = h.mark();
    h.appended(many, 2L * Handoff.CAPACITY);
    h.read(marked, 0, new Federated.Outbox(List.of(), true));
    assertNull(h.take(0, 10));
    marked = h.mark();
    h.read(marked, 0, new Federated.Outbox(many.subList(0, 5), true));
    h.appended(List.of(e(3 * Handoff.CAPACITY)), 3L * Handoff.CAPACITY);
    assertEquals(List.of(3L * Handoff.CAPACITY), seqs(h.take(5, 10)));
  }
}
