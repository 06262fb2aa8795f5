package org.jmls.federation;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.jmls.ds.Federated;

/**
 * What the hub appends for one peer, handed to that peer's delivery worker in memory, so a worker
 * that keeps up sends without reading its outbox from the database.
 *
 * <p>Why it holds: with one node the DS tells its listeners of every append, after it committed,
 * in the order of the sequence numbers, one call at a time; and appends commit in that order. With
 * several nodes each node announces every node's appends in the order of their numbers, once all
 * below are settled, and the outbox is read up to that same horizon. So
 * once the worker has read its outbox completely (every entry owed after its place that the
 * database held then), every entry owed later is either in that read or is told here after the
 * read began ({@link #mark}). The worker takes entries from memory only while that chain is
 * unbroken: after a read that was complete, with nothing dropped for want of room, and from the
 * place where the last entries it took end ({@link #take}). Anything else (a delivery that failed
 * and restarts from what the peer confirmed, a backlog larger than {@link #CAPACITY}, appends of
 * other nodes whose entries were not heard ({@link #lost})) makes it read the database again.
 * What it keeps is bounded in entries and in bytes, so a peer that is down costs no memory beyond.
 */
final class Handoff {
  /** Entries kept for the worker at most; beyond, they are dropped and the worker reads them from the database. */
  static final int CAPACITY = 4 * Notifier.BATCH;
  /** Bytes of messages kept at most (a large group's commits and Welcomes are large), likewise. */
  static final long CAPACITY_BYTES = 16L << 20;

  private final ArrayDeque<Federated.Entry> queue = new ArrayDeque<>();
  /** Bytes of the messages in {@link #queue}. */
  private long bytes;
  /** The highest sequence number told here: every append up to it has been told. */
  private long told;
  /** Entries were dropped for want of room since the last {@link #mark}. */
  private boolean dropped;
  /** The queue holds every entry owed after {@link #taken}. */
  private boolean unbroken;
  /** Where the entries the worker took last (from here or the database) end. */
  private long taken = -1;

  /** The listener's part: what one append owed this peer ({@code owed}, possibly none), and the append's last number. */
  synchronized void appended(List<Federated.Entry> owed, long last) {
    for (Federated.Entry e : owed) {
      if (dropped) {
        break;
      }
      if (queue.size() == CAPACITY || bytes + e.message().length() > CAPACITY_BYTES) {
        clear();
        unbroken = false;
        dropped = true;
        break;
      }
      queue.add(e);
      bytes += e.message().length();
    }
    told = Math.max(told, last);
  }

  /** The listener's part: appends up to {@code last} were not heard here; the worker reads them from the database. */
  synchronized void lost(long last) {
    clear();
    unbroken = false;
    dropped = true;
    told = Math.max(told, last);
  }

  /**
   * Up to {@code limit} entries owed after {@code after}, in order, from memory (empty when nothing
   * was appended for the peer since); null when the worker must read the database instead.
   */
  synchronized List<Federated.Entry> take(long after, int limit) {
    if (!unbroken || after != taken) {
      return null;
    }
    List<Federated.Entry> out = new ArrayList<>(Math.min(limit, queue.size()));
    while (out.size() < limit && !queue.isEmpty()) {
      out.add(poll());
    }
    if (!out.isEmpty()) {
      taken = out.get(out.size() - 1).seq();
    }
    return out;
  }

  /**
   * Called just before the worker reads its outbox from the database: what was told so far is
   * committed, so the read will see it; the number to hand back to {@link #read}.
   */
  synchronized long mark() {
    clear();
    dropped = false;
    unbroken = false;
    return told;
  }

  /**
   * The worker read {@code read} from the database, after {@code after}, having called {@link #mark}
   * (which returned {@code marked}) just before.
   */
  synchronized void read(long marked, long after, Federated.Outbox read) {
    if (dropped || !read.complete()) {
      return; // the next read goes on from the database
    }
    List<Federated.Entry> entries = read.entries();
    taken = entries.isEmpty() ? after : entries.get(entries.size() - 1).seq();
    long seen = Math.max(marked, taken);
    while (!queue.isEmpty() && queue.peek().seq() <= seen) {
      poll(); // committed before the read: in it, or not owed
    }
    unbroken = true;
  }

  private Federated.Entry poll() {
    Federated.Entry e = queue.poll();
    bytes -= e.message().length();
    return e;
  }

  private void clear() {
    queue.clear();
    bytes = 0;
  }
}
