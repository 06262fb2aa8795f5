package org.jmls.federation;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.ds.Federated;
import org.jmls.ds.GroupDirectory;

/**
 * The hub's side of delivery to followers ({@code POST /fed/notify} at each peer): one worker per
 * peer sends what the peer is owed ({@link Federated#outbox}) in sequence order, up to {@value
 * #BATCH} entries a request, each entry once per peer whatever the number of its devices; on the
 * peer's answer its devices' cursors move ({@link Federated#acknowledge}). A peer that does not
 * answer is retried with backoff (0.1 s doubling to 30 s); since the outbox is the log, a restart
 * of either side resumes where the peer last acknowledged, nothing lost. Workers wake when an
 * append reaches one of the peer's devices, and look again every 30 seconds regardless.
 *
 * <p>Body: {@code {"entries": [{"seq", "groupId" (hex), "kind", "message" (base64), "readers":
 * [device ids]}]}}; answer {@code {"stored": last seq stored, "refused": [reasons]}}.
 */
final class Notifier implements AutoCloseable {
  static final int BATCH = 500;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Traffic counters of one peer, for /metrics. */
  static final class Counters {
    final AtomicLong sentEntries = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final AtomicLong backlog = new AtomicLong();
    volatile boolean reachable = true;
  }

  private final Peers peers;
  private final Federated federated;
  private final Map<String, Object> signals = new LinkedHashMap<>();
  private final Map<String, Counters> counters = new LinkedHashMap<>();
  private final List<Thread> workers = new ArrayList<>();
  private final java.util.function.Consumer<String> log;
  private volatile boolean running = true;

  Notifier(Peers peers, Federated federated, GroupDirectory groups, java.util.function.Consumer<String> log) {
    this.peers = peers;
    this.federated = federated;
    this.log = log;
    for (FederationConfig.Peer p : peers.config().peerList()) {
      signals.put(p.domain(), new Object());
      counters.put(p.domain(), new Counters());
    }
    String local = peers.config().domain();
    groups.onAppended(appended -> {
      for (GroupDirectory.Appended a : appended) {
        for (String reader : a.readers()) {
          String d = domainOfDevice(reader);
          if (d != null && !d.equals(local)) {
            wake(d);
          }
        }
      }
    });
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
        s.notifyAll();
      }
    }
  }

  private void await(String peer, long millis) throws InterruptedException {
    Object s = signals.get(peer);
    synchronized (s) {
      s.wait(millis);
    }
  }

  private void run(String peer) {
    long backoff = 100;
    Counters count = counters.get(peer);
    long stored = 0; // what the peer took last, acknowledged with the next read
    while (running) {
      try {
        List<Federated.Entry> batch = federated.acknowledgeAndRead(peer, stored, BATCH);
        stored = 0;
        count.backlog.set(batch.size());
        if (batch.isEmpty()) {
          await(peer, 30_000);
          continue;
        }
        stored = send(peer, batch);
        count.sentEntries.addAndGet(batch.size());
        if (!count.reachable) {
          count.reachable = true;
          log.accept("federation: " + peer + " reachable again; delivering its backlog");
        }
        backoff = 100;
      } catch (ValidationException | SQLException e) {
        count.failures.incrementAndGet();
        if (count.reachable) {
          count.reachable = false;
          log.accept("federation: " + peer + " unreachable (" + e.getMessage() + "); retrying with backoff");
        }
        try {
          await(peer, backoff);
        } catch (InterruptedException ie) {
          return;
        }
        backoff = Math.min(30_000, backoff * 2);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        count.failures.incrementAndGet();
        log.accept("federation: delivery to " + peer + " failed: " + e);
        try {
          await(peer, backoff);
        } catch (InterruptedException ie) {
          return;
        }
        backoff = Math.min(30_000, backoff * 2);
      }
    }
  }

  /** Sends one batch; the last sequence the peer stored. */
  private long send(String peer, List<Federated.Entry> batch) throws ValidationException {
    List<Map<String, Object>> entries = new ArrayList<>();
    for (Federated.Entry e : batch) {
      entries.add(Map.of("seq", e.seq(), "groupId", e.groupId().hex(), "kind", e.kind().name(),
          "message", Base64.getEncoder().encodeToString(e.message().unsafeArray()), "readers", e.readers()));
    }
    byte[] body;
    try {
      body = JSON.writeValueAsBytes(Map.of("entries", entries));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    Peers.Answer a = peers.send(peer, "POST", "/fed/notify", body, "application/json");
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

  /** Parses a delivery body (at the follower). */
  static List<Federated.Entry> parse(byte[] body) throws ValidationException {
    try {
      Map<?, ?> m = JSON.readValue(body, Map.class);
      List<Federated.Entry> out = new ArrayList<>();
      long previous = 0;
      for (Object o : (List<?>) m.get("entries")) {
        Map<?, ?> e = (Map<?, ?>) o;
        long seq = ((Number) e.get("seq")).longValue();
        if (seq <= previous) {
          throw new ValidationException("fed.request-field", "entries are in increasing sequence order");
        }
        previous = seq;
        List<String> readers = new ArrayList<>();
        for (Object r : (List<?>) e.get("readers")) {
          readers.add((String) r);
        }
        out.add(new Federated.Entry(seq, Bytes.fromHex((String) e.get("groupId")), GroupDirectory.Kind.valueOf((String) e.get("kind")),
            Bytes.wrap(Base64.getDecoder().decode((String) e.get("message"))), readers));
      }
      if (out.size() > BATCH) {
        throw new ValidationException("fed.request-field", "at most " + BATCH + " entries per delivery");
      }
      return out;
    } catch (ValidationException e) {
      throw e;
    } catch (java.io.IOException | RuntimeException e) {
      throw new ValidationException("fed.request-field", "a delivery is {\"entries\": [{seq, groupId, kind, message, readers}]}");
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
