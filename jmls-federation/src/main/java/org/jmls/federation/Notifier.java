package org.jmls.federation;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jmls.ValidationException;
import org.jmls.ds.Federated;
import org.jmls.ds.GroupDirectory;
import org.jmls.service.Database;
import org.jmls.service.Lease;

/**
 * The hub's side of delivery to followers ({@code POST /fed/notify} at each peer): one worker per
 * peer sends what the peer is owed ({@link Federated#outbox}) in sequence order, up to {@value
 * #BATCH} entries a request, each entry once per peer whatever the number of its devices; on the
 * peer's answer its devices' cursors move ({@link Federated#acknowledge}). A peer that does not
 * answer is retried with backoff (0.1 s doubling to 30 s, cut short only when the peer says it is up,
 * not by appends); since the outbox is the log, a restart
 * of either side resumes where the peer last acknowledged, nothing lost. Workers wake when an
 * append reaches one of the peer's devices, and look again every 30 seconds regardless. Up to
 * {@value #IN_FLIGHT} deliveries are in flight per peer, stored there in order ({@link Delivery}).
 *
 * <p>With several nodes on one PostgreSQL, one node at a time delivers to each peer: the one that
 * holds the peer's {@link Lease}; the others wait for it in PostgreSQL and one of them takes over,
 * from the position last written, as soon as the holder's session ends. The holder's handoff is fed
 * with every node's appends in the order this node announces them ({@link
 * GroupDirectory#onAppendedInOrder}), and it reads the outbox from the database (capped at what is
 * settled) when that chain breaks; it is woken by its own appends and by the other nodes' ({@link
 * GroupDirectory#onAppendedElsewhere}). Before leases every node delivered everything, and the peer
 * kept one copy of each.
 */
final class Notifier implements AutoCloseable {
  static final int BATCH = 500;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Traffic counters of one peer, for /metrics. */
  static final class Counters {
    final AtomicLong sentEntries = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final AtomicLong backlog = new AtomicLong();
    /** Reads of the outbox from the database (entries handed over in memory need none). */
    final AtomicLong outboxReads = new AtomicLong();
    volatile boolean reachable = true;
    /** Everything owed was delivered and acknowledged, and nothing was appended since. */
    volatile boolean idle;
    /** Woken since the worker last began a read (guarded by the peer's signal). */
    boolean woken;
    /** The peer said it is up ({@code POST /fed/wake}) since the worker last backed off (guarded by the peer's signal). */
    boolean up;
    /** This node delivers to the peer (always with one node; with several, the one that holds the peer's lease). */
    volatile boolean delivering;
  }

  private final Peers peers;
  private final Federated federated;
  private final Map<String, Object> signals = new LinkedHashMap<>();
  private final Map<String, Counters> counters = new LinkedHashMap<>();
  private final Map<String, Handoff> handoffs = new LinkedHashMap<>();
  private final List<Thread> workers = new ArrayList<>();
  private final GroupDirectory groups;
  private final Database db;
  /** With several nodes on one database: where the delivery leases are taken (null with one node). Set by {@link #start}. */
  private volatile Database leases;
  private final java.util.function.Consumer<String> log;
  private volatile boolean running = true;

  Notifier(Peers peers, Federated federated, GroupDirectory groups, Database db, java.util.function.Consumer<String> log) {
    this.db = db;
    this.groups = groups;
    this.peers = peers;
    this.federated = federated;
    this.log = log;
    for (FederationConfig.Peer p : peers.config().peerList()) {
      signals.put(p.domain(), new Object());
      counters.put(p.domain(), new Counters());
    }
    for (String peer : signals.keySet()) {
      handoffs.put(peer, new Handoff());
    }
    groups.onAppended(appended -> handOff(appended, appended.isEmpty() ? 0 : appended.get(appended.size() - 1).seq(), !groups.clustered()));
    // With several nodes, every node's appends in the order of their numbers (null: not heard, read them from the database).
    groups.onAppendedInOrder((appended, last) -> {
      if (appended == null) {
        handoffs.values().forEach(h -> h.lost(last));
        signals.keySet().forEach(this::wake);
      } else {
        handOff(appended, last, true);
      }
    });
    // With several nodes: what the others append is read from the outbox by the node that delivers.
    groups.onAppendedElsewhere(() -> signals.keySet().forEach(this::wake));
  }

  /**
   * Appends up to number {@code last}: the peers they reach are woken, and with {@code handOff} what
   * they owe each peer goes to that peer's {@link Handoff} (which must be told of every append, in order).
   */
  private void handOff(List<GroupDirectory.Appended> appended, long last, boolean handOff) {
    Map<String, List<Federated.Entry>> owed = new java.util.HashMap<>(); // the peers to wake, and (handing off) their entries
    for (GroupDirectory.Appended a : appended) {
      peerReaders(a).forEach((peer, devices) -> {
        List<Federated.Entry> forPeer = owed.computeIfAbsent(peer, k -> new ArrayList<>());
        if (handOff) {
          forPeer.add(new Federated.Entry(a.seq(), a.groupId(), a.kind(), a.message(), List.copyOf(devices)));
        }
      });
    }
    if (handOff && last > 0) {
      handoffs.forEach((peer, h) -> h.appended(owed.getOrDefault(peer, List.of()), last));
    }
    owed.keySet().forEach(this::wake);
  }

  /** The devices of each peer that {@code a} reaches (none: an empty map). */
  private Map<String, List<String>> peerReaders(GroupDirectory.Appended a) {
    Map<String, List<String>> out = Map.of();
    for (String reader : a.readers()) {
      String d = domainOfDevice(reader);
      if (d != null && handoffs.containsKey(d) && a.reaches(reader)) {
        if (out.isEmpty()) {
          out = new java.util.HashMap<>();
        }
        out.computeIfAbsent(d, k -> new ArrayList<>()).add(reader);
      }
    }
    return out;
  }

  /** The domain of a device id {@code user@domain/device}, or null. */
  static String domainOfDevice(String device) {
    int slash = device.indexOf('/');
    int at = slash < 0 ? -1 : device.lastIndexOf('@', slash);
    return at < 0 ? null : device.substring(at + 1, slash);
  }

  Map<String, Counters> counters() {
    return counters;
  }

  void start() {
    leases = groups.clustered() ? db : null;
    if (leases == null) {
      counters.values().forEach(c -> c.delivering = true);
    }
    for (String peer : signals.keySet()) {
      Thread t = new Thread(() -> run(peer), "jmls-fed-notify-" + peer);
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }
  }

  void wake(String peer) {
    Object s = signals.get(peer);
    if (s != null) {
      synchronized (s) {
        counters.get(peer).idle = false;
        counters.get(peer).woken = true;
        s.notifyAll();
      }
    }
  }

  /**
   * The peer says it is (back) up: a delivery backing off after its absence tries again at once,
   * with its backoff reset. Appends alone do not end a backoff, since they say nothing of the peer.
   */
  void peerUp(String peer) {
    Object s = signals.get(peer);
    if (s != null) {
      synchronized (s) {
        counters.get(peer).up = true;
        wake(peer);
      }
    }
  }

  /** Waits until everything owed to {@code peer} was delivered and acknowledged; false if {@code millis} passed first. */
  boolean awaitIdle(String peer, long millis) throws InterruptedException {
    Object s = signals.get(peer);
    if (s == null) {
      throw new IllegalArgumentException("not a peer: " + peer);
    }
    long deadline = System.currentTimeMillis() + millis;
    synchronized (s) {
      while (!counters.get(peer).idle) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          return false;
        }
        s.wait(left);
      }
    }
    return true;
  }

  /**
   * After a failed delivery: waits {@code millis}, or until the peer says it is up, even if it said so
   * while the delivery was failing (then at once). True if it did.
   */
  private boolean backOff(Object signal, Counters count, long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    synchronized (signal) {
      long left;
      while (!count.up && running && (left = deadline - System.nanoTime()) > 0) {
        signal.wait(Math.max(1, left / 1_000_000));
      }
      boolean up = count.up;
      count.up = false;
      return up;
    }
  }

  /** How often an idle delivery reads the outbox even if nothing woke it. */
  static final long LOOK_EVERY_MILLIS = 30_000;

  /** How often a busy delivery loop writes its place to the database (and deletes the Welcomes delivered). */
  static final long ACK_EVERY_MILLIS = 200;

  /** Batches sent to one peer and not yet answered, at most; each names the one before it, so the peer stores them in order. */
  static final int IN_FLIGHT = 3;

  /** A batch on its way: the last hub sequence in it, its size, and the peer's answer to come (the last sequence it stored). */
  private record InFlight(long last, int size, java.util.concurrent.Future<Long> stored) {}

  /**
   * Delivers to {@code peer}: with one node, at once; with several on one database, only while this
   * node holds the peer's delivery lease, so one node delivers to each peer at a time and another
   * takes over when it dies ({@link Lease}). The peer skips what it already stored, so the moments
   * when two nodes deliver (a holder that lost its session, until its next probe) cost only traffic.
   */
  private void run(String peer) {
    if (leases == null) {
      deliver(peer, () -> true);
      return;
    }
    Counters count = counters.get(peer);
    while (running) {
      try (Lease lease = Lease.take(leases, "federation delivery to " + peer, () -> running)) {
        if (lease == null) {
          return;
        }
        count.delivering = true;
        log.accept("federation: this node now delivers to " + peer);
        deliver(peer, lease::held);
        if (running) {
          log.accept("federation: this node no longer delivers to " + peer + " (its database session was lost)");
        }
      } catch (SQLException e) {
        try {
          backOff(signals.get(peer), count, 1_000); // the database is away: try again
        } catch (InterruptedException ie) {
          return;
        }
      } finally {
        count.delivering = false;
      }
    }
  }

  /** Delivers to {@code peer} while this node should ({@code delivers}). */
  private void deliver(String peer, java.util.function.BooleanSupplier delivers) {
    long backoff = 100;
    Counters count = counters.get(peer);
    Object signal = signals.get(peer);
    Handoff handoff = handoffs.get(peer);
    java.util.concurrent.ExecutorService sender = java.util.concurrent.Executors.newFixedThreadPool(IN_FLIGHT, r -> {
      Thread t = new Thread(r, "jmls-fed-send-" + peer);
      t.setDaemon(true);
      return t;
    });
    java.util.ArrayDeque<InFlight> inFlight = new java.util.ArrayDeque<>();
    // Where delivery stands (what the peer confirmed), kept here and written to the database now and
    // then and whenever it goes idle: after a crash the peer is sent again at most what it took since,
    // and skips it.
    long position = -1;
    long acked = 0;
    long lastAck = 0;
    boolean more = true; // the last read may have left entries behind (or none was made yet)
    try {
      while (running && delivers.getAsBoolean()) {
        try {
          if (position < 0) {
            position = federated.cursor(peer);
            acked = position;
            more = true;
          }
          // Answers that came, in the order their batches were sent.
          while (!inFlight.isEmpty() && inFlight.peek().stored().isDone()) {
            InFlight first = inFlight.poll();
            try {
              position = Math.max(position, first.stored().get());
            } catch (java.util.concurrent.ExecutionException e) {
              throw e.getCause() instanceof Exception cause ? cause : new IllegalStateException(e.getCause());
            }
            count.sentEntries.addAndGet(first.size());
            if (System.currentTimeMillis() - lastAck >= ACK_EVERY_MILLIS) {
              federated.acknowledge(peer, position);
              acked = position;
              lastAck = System.currentTimeMillis();
            }
            if (!count.reachable) {
              count.reachable = true;
              log.accept("federation: " + peer + " reachable again; delivering its backlog");
            }
            backoff = 100;
          }
          boolean woken;
          synchronized (signal) {
            woken = count.woken;
          }
          if (inFlight.size() < IN_FLIGHT && (more || woken)) {
            synchronized (signal) {
              count.woken = false; // a wake from here on may be about entries this read misses
            }
            // The next batch begins after the last one sent, answered or not.
            long previous = inFlight.isEmpty() ? 0 : inFlight.peekLast().last();
            Federated.Outbox next = next(peer, handoff, count, Math.max(position, previous));
            List<Federated.Entry> batch = next.entries();
            more = !next.complete();
            count.backlog.set(batch.size());
            if (!batch.isEmpty()) {
              java.util.concurrent.CompletableFuture<Long> stored = new java.util.concurrent.CompletableFuture<>();
              inFlight.add(new InFlight(batch.get(batch.size() - 1).seq(), batch.size(), stored));
              sender.execute(() -> {
                try {
                  stored.complete(send(peer, batch, previous));
                } catch (Throwable t) {
                  stored.completeExceptionally(t);
                }
                synchronized (signal) {
                  signal.notifyAll(); // an answer: the worker settles it
                }
              });
              continue;
            }
          }
          if (inFlight.isEmpty()) {
            if (acked < position) {
              federated.acknowledge(peer, position);
              acked = position;
            }
            synchronized (signal) {
              if (!count.woken) { // else something was appended during the read: read again at once
                count.idle = true;
                signal.notifyAll();
                signal.wait(LOOK_EVERY_MILLIS);
              }
            }
            more = true; // woken, or time to look regardless (a wake may have been lost with a node's notifications)
            continue;
          }
          // Batches in flight: wait for the oldest's answer, or for an append to send alongside them.
          synchronized (signal) {
            if (!inFlight.peek().stored().isDone() && !(count.woken && inFlight.size() < IN_FLIGHT)) {
              signal.wait(1_000);
            }
          }
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          // A batch failed: what was sent after it is settled (its answer ignored), and delivery goes on
          // from what the peer confirmed, after a backoff; the peer skips what it already stored.
          for (InFlight f : inFlight) {
            try {
              position = Math.max(position, f.stored().get());
            } catch (java.util.concurrent.ExecutionException failedToo) {
              // nothing more confirmed
            } catch (InterruptedException ie) {
              return;
            }
          }
          inFlight.clear();
          more = true;
          count.failures.incrementAndGet();
          boolean unreachable = e instanceof ValidationException || e instanceof SQLException;
          if (count.reachable) {
            count.reachable = false;
            log.accept(unreachable ? "federation: " + peer + " unreachable (" + e.getMessage() + "); retrying with backoff"
                : "federation: delivery to " + peer + " failed: " + e);
          }
          try {
            backoff = backOff(signal, count, backoff) ? 100 : Math.min(30_000, backoff * 2);
          } catch (InterruptedException ie) {
            return;
          }
        }
      }
    } finally {
      sender.shutdownNow();
    }
  }

  /**
   * The next batch owed to {@code peer} after {@code after}: from memory when the handoff can serve
   * it, else read from the database; incomplete when there may be more at once.
   */
  private Federated.Outbox next(String peer, Handoff handoff, Counters count, long after) throws SQLException {
    List<Federated.Entry> taken = handoff.take(after, BATCH);
    if (taken != null) {
      return new Federated.Outbox(taken, taken.size() < BATCH);
    }
    long marked = handoff.mark();
    Federated.Outbox read = federated.outbox(peer, after, BATCH);
    count.outboxReads.incrementAndGet();
    handoff.read(marked, after, read);
    return read;
  }

  /**
   * Sends one batch; the last sequence the peer stored. {@code previous}, when not 0, is the last
   * sequence of the batch sent just before, still unanswered: the peer stores this one only after it.
   */
  private long send(String peer, List<Federated.Entry> batch, long previous) throws ValidationException {
    Peers.Answer a = peers.send(peer, "POST", "/fed/notify", Delivery.encode(batch, previous), "application/json");
    if (a.status() != 200) {
      throw new ValidationException("fed.peer-unavailable", peer + " did not take the delivery (" + a.status() + "): "
          + HubRelay.utf8(a.body()));
    }
    try {
      Map<?, ?> m = JSON.readValue(a.body(), Map.class);
      long stored = ((Number) m.get("stored")).longValue();
      if (m.get("refused") instanceof List<?> refused && !refused.isEmpty()) {
        log.accept("federation: " + peer + " refused " + refused.size() + " entries: " + refused);
      }
      return Math.min(stored, batch.get(batch.size() - 1).seq());
    } catch (java.io.IOException | RuntimeException e) {
      throw new ValidationException("fed.peer-answer", peer + "'s answer to a delivery does not decode");
    }
  }

  @Override
  public void close() {
    running = false;
    for (Thread t : workers) {
      t.interrupt();
    }
  }
}
