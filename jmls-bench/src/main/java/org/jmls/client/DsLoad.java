package org.jmls.client;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jmls.Bytes;
import org.jmls.crypto.CipherSuite;
import org.jmls.ds.http.DsClient;
import org.jmls.server.JmlsServer;

/**
 * Delivery Service load: an embedded AS+DS on loopback (SQLite or an embedded PostgreSQL), real
 * enrolled devices in real MLS groups (created and joined through the client SDK), then a timed
 * phase in which the groups' members post application messages as fast as the DS takes them, with
 * {@code inFlight} requests outstanding, while the receiving members take their queues: over
 * WebSocket sessions (posts answered per message, queue pushed, acknowledged twice a second) or
 * over HTTP (a signed request per post, long-polling fetches, acknowledgements once a second). Messages and their signed requests are made before the timed phase, so the loader's own
 * crypto does not compete with the DS for the machine's cores. Every delivery is checked against
 * what was sent (exact bytes, no duplicates); accept latency is from posting to the DS's answer,
 * delivery latency from posting to a receiver's fetch returning the message.
 */
public final class DsLoad {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

  /** What to run. {@code receivers} members of each group fetch (all of them when it is ≥ the group size). */
  public record Options(boolean postgres, int groupSize, int groups, int senders, int receivers, int seconds, int inFlight,
      int payloadBytes, Transport transport, int batch, Consumer<String> progress, boolean federated, int nodes, int warmupSeconds,
      boolean separateDatabases, int databaseDelayMicros) {
    public Options(boolean postgres, int groupSize, int groups, int senders, int receivers, int seconds, int inFlight,
        int payloadBytes, Transport transport, int batch, Consumer<String> progress) {
      this(postgres, groupSize, groups, senders, receivers, seconds, inFlight, payloadBytes, transport, batch, progress, false, 0, 0, false, 0);
    }

    boolean webSocket() {
      return transport != Transport.HTTP;
    }

    boolean sdk() {
      return transport == Transport.SDK;
    }
  }

  /**
   * How the senders post. WS and HTTP post messages encrypted before the timed phase, raw; SDK has
   * each sending device's {@link MlsClient} encrypt and send in the timed phase over the session it
   * opened with {@link MlsClient#wakeups} (the SDK's own cost included). In SDK mode the receiving
   * devices are others than the senders (groups need senders + receivers members), so each group
   * has as many sessions as with WS and receivers = senders + receivers.
   */
  public enum Transport { WS, HTTP, SDK }

  /** What was measured in the timed phase. */
  public record Result(String database, String transport, int groupSize, int groups, int devices, double seconds, long accepted,
      long refused,
      long delivered, long expectedDeliveries, long duplicates, long unknown, long fetches, double acceptedPerSecond,
      double deliveredPerSecond, double acceptP50Ms, double acceptP99Ms, double deliveryP50Ms, double deliveryP99Ms,
      double localDeliveryP50Ms, double localDeliveryP99Ms, double crossDeliveryP50Ms, double crossDeliveryP99Ms,
      double[] pathP50Ms, PerNode perNode, int warmupSeconds, double[] wakeUpMs) {
    public String summary() {
      if (perNode != null) {
        int count = perNode.accepted().length;
        StringBuilder b = new StringBuilder(nodesSummary(count, perNode.separateDatabases()));
        if (perNode.databaseDelayMicros() > 0) {
          b.append(String.format(java.util.Locale.ROOT, "; PostgreSQL reached through a relay holding each packet %d µs each way",
              perNode.databaseDelayMicros()));
        }
        for (int k = 0; k < perNode.accepted().length; k++) {
          b.append(String.format(java.util.Locale.ROOT, "; node %d: accepted %.0f msg/s, delivered %.0f/s, CPU %.1f s", k + 1,
              perNode.accepted()[k] / seconds, perNode.delivered()[k] / seconds, perNode.cpuSeconds()[k]));
        }
        b.append(String.format(java.util.Locale.ROOT, "; load generator CPU %.1f s", perNode.loaderCpuSeconds()));
        return baseSummary() + b;
      }
      return baseSummary() + (Double.isNaN(crossDeliveryP50Ms) ? "" : federationSummary());
    }

    private String nodesSummary(int count, boolean separate) {
      if (count == 1) {
        return "; 1 node (a server process) on PostgreSQL";
      }
      if (separate) { // every group lives on one node: no delivery crosses nodes, nothing to split
        return String.format(java.util.Locale.ROOT, "; %d nodes (server processes) on one PostgreSQL, each on its own database,"
            + " each group on one node", count);
      }
      return String.format(java.util.Locale.ROOT, "; %d nodes (server processes) on one PostgreSQL: delivery on the sender's node"
          + " p50 %.1f ms p99 %.1f ms, on another node p50 %.1f ms p99 %.1f ms; wake-up (from the sender's answer to the"
          + " delivery) on the sender's node p50 %.1f ms p99 %.1f ms, on another node p50 %.1f ms p99 %.1f ms", count,
          localDeliveryP50Ms, localDeliveryP99Ms, crossDeliveryP50Ms, crossDeliveryP99Ms, wakeUpMs[0], wakeUpMs[1], wakeUpMs[2],
          wakeUpMs[3]);
    }

    private String federationSummary() {
      String federation = Double.isNaN(crossDeliveryP50Ms) ? "" : String.format(java.util.Locale.ROOT,
          "; devices at the hub's provider: delivery p50 %.1f ms p99 %.1f ms, at the other provider: p50 %.1f ms p99 %.1f ms",
          localDeliveryP50Ms, localDeliveryP99Ms, crossDeliveryP50Ms, crossDeliveryP99Ms);
      if (pathP50Ms != null) {
        federation += String.format(java.util.Locale.ROOT, "; p50 by path (sender -> receiver provider): hub -> hub %.1f ms,"
            + " hub -> other %.1f ms, other -> hub %.1f ms, other -> other %.1f ms", pathP50Ms[0], pathP50Ms[1], pathP50Ms[2], pathP50Ms[3]);
      }
      return federation;
    }

    private String baseSummary() {
      return String.format(java.util.Locale.ROOT,
          "%s over %s, %d groups of %d (%d devices), %.1f s after %d s of warm-up: accepted %d (%.0f msg/s), refused %d; delivered %d of %d expected"
              + " (%.0f deliveries/s), duplicates %d, unknown %d, queue fetches %d; accept p50 %.1f ms p99 %.1f ms; delivery p50 %.1f ms p99 %.1f ms",
          database, transport, groups, groupSize, devices, seconds, warmupSeconds, accepted, acceptedPerSecond, refused, delivered, expectedDeliveries,
          deliveredPerSecond, duplicates, unknown, fetches, acceptP50Ms, acceptP99Ms, deliveryP50Ms, deliveryP99Ms);
    }
  }

  /** Nodes runs: per node (by the sender's node, the receiver's), in the timed phase; CPU seconds each process used in it. */
  public record PerNode(long[] accepted, long[] delivered, double[] cpuSeconds, double loaderCpuSeconds, boolean separateDatabases,
      int databaseDelayMicros) {}

  private DsLoad() {}

  private record Prepared(Bytes message, HttpRequest request, int group, int member) {}

  /** One fetching member's tally. */
  private static final class Receiver {
    /** Which provider (federated runs) or node (nodes runs) the device talks to: an index into the bases. */
    int at;
    /** Messages delivered in the timed phase. */
    int inWindow;
    int count;
    final java.util.Set<Bytes> seen = new java.util.HashSet<>();
    volatile long lastSeq;
    org.jmls.ds.http.DsSession session;

    /** Per latency: the provider or node of its sender (an index into the bases). */
    byte[] from = new byte[4096];
    /** Per latency: when it arrived, and its message's times (see {@code sentAt}). */
    long[] arrived = new long[4096];
    long[][] times = new long[4096][];

    void record(long now, long[] sent, int senderAt) {
      if (count == arrived.length) {
        from = Arrays.copyOf(from, count * 2);
        arrived = Arrays.copyOf(arrived, count * 2);
        times = Arrays.copyOf(times, count * 2);
      }
      from[count] = (byte) senderAt;
      arrived[count] = now;
      times[count++] = sent;
    }

    /** The delivery latency of the {@code i}th message: from its posting to its arrival here. */
    long latency(int i) {
      return arrived[i] - times[i][0];
    }

    /**
     * How long after its sender had the DS's answer (the append committed) the message reached this
     * device; 0 when it came first, -1 when the answer never came.
     */
    long afterAnswer(int i) {
      long answered = times[i][1];
      return answered == 0 ? -1 : Math.max(0, arrived[i] - answered);
    }
  }

  public static Result run(Options o) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    if (o.nodes() > 0) {
      try (LoadServer.Nodes servers = LoadServer.startNodes(o.nodes(), o.separateDatabases(), o.databaseDelayMicros())) {
        return measure(o, servers.bases(), pool, servers);
      } finally {
        pool.shutdownNow();
      }
    }
    if (o.federated()) {
      try (LoadServer.Federated servers = LoadServer.startFederated(o.postgres())) {
        return measure(o, new String[] {servers.hub.base(), servers.follower.base()}, pool, null);
      } finally {
        pool.shutdownNow();
      }
    }
    try (LoadServer servers = LoadServer.start(o.postgres(), "jmls-ds-load")) {
      return measure(o, new String[] {servers.base()}, pool, null);
    } finally {
      pool.shutdownNow();
    }
  }

  /** The provider (or node) of member {@code i} of a group: with several, members alternate between them (the creator at the first). */
  private static int providerOf(Options o, String[] bases, int group, int i) {
    if (o.separateDatabases()) {
      return group % bases.length; // each group on one node: nothing crosses between them
    }
    return i % bases.length;
  }

  private static Result measure(Options o, String[] bases, ExecutorService pool, LoadServer.Nodes nodes) throws Exception {
    int n = o.groupSize();
    if (o.sdk() && n < o.senders() + o.receivers()) {
      throw new IllegalArgumentException("with the SDK transport a group needs senders + receivers members (" + (o.senders() + o.receivers()) + ")");
    }
    int joiners = o.sdk() ? o.senders() + o.receivers() : Math.min(n, Math.max(o.senders(), o.receivers()));
    o.progress().accept("enrolling " + (o.groups() * n) + " devices");
    MlsClient[][] devices = new MlsClient[o.groups()][n];
    // Thousands of simulated devices share one HTTP client (each with its own would hold its own connections and threads).
    HttpClient enrolHttp = HttpClient.newHttpClient();
    List<Future<?>> work = new ArrayList<>();
    for (int g = 0; g < o.groups(); g++) {
      for (int i = 0; i < n; i++) {
        int gg = g;
        int ii = i;
        work.add(pool.submit(() -> {
          int p = providerOf(o, bases, gg, ii);
          MlsClient c = new MlsClient(bases[p], "u" + gg + "-" + ii + "@" + LoadServer.DOMAINS[o.federated() ? p : 2], "d", SUITE)
              .sharing(enrolHttp);
          c.enrol("adm", null, 1);
          devices[gg][ii] = c;
          return null;
        }));
      }
    }
    await(work);
    o.progress().accept("creating " + o.groups() + " groups of " + n + " (one commit adding everyone each)");
    Bytes[] gids = new Bytes[o.groups()];
    for (int g = 0; g < o.groups(); g++) {
      int gg = g;
      work.add(pool.submit(() -> {
        MlsClient creator = devices[gg][0];
        gids[gg] = creator.createGroup("load-" + gg);
        List<String> others = new ArrayList<>();
        for (int i = 1; i < n; i++) {
          others.add(devices[gg][i].user());
        }
        creator.addUsers(gids[gg], others);
        return null;
      }));
    }
    await(work);
    o.progress().accept("joining " + joiners + " members per group from their Welcomes");
    for (int g = 0; g < o.groups(); g++) {
      for (int i = 1; i < joiners; i++) {
        MlsClient c = devices[g][i];
        Bytes gid = gids[g];
        work.add(pool.submit(() -> {
          // A device of the other provider gets its Welcome once the hub delivered it there.
          long until = System.currentTimeMillis() + 60_000;
          while (!c.inGroup(gid) && System.currentTimeMillis() < until) {
            c.syncWaiting(2_000);
          }
          return null;
        }));
      }
    }
    await(work);
    for (int g = 0; g < o.groups(); g++) {
      for (int i = 0; i < joiners; i++) {
        if (!devices[g][i].epochAuthenticator(gids[g]).equals(devices[g][0].epochAuthenticator(gids[g]))) {
          throw new IllegalStateException("member " + i + " of group " + g + " disagrees with the creator");
        }
      }
    }

    // Messages and their signed requests, made ahead: enough for the timed phase at up to 12,000 msg/s.
    int senders = Math.min(n, o.senders());
    int perSender = o.sdk() ? 0
        : (int) Math.max(100, Math.min(200_000L, 12_000L * (o.seconds() + o.warmupSeconds()) / ((long) o.groups() * senders)));
    o.progress().accept("preparing " + ((long) perSender * senders * o.groups()) + " messages of " + o.payloadBytes() + " bytes");
    // Per message: when it was posted, and when its sender had the DS's answer (0 until then).
    Map<Bytes, long[]> sentAt = new ConcurrentHashMap<>();
    Map<Bytes, Integer> senderAt = new ConcurrentHashMap<>(); // several bases: the provider or node of each message's sender
    List<List<Prepared>> perDevice = new ArrayList<>();
    List<Future<List<Prepared>>> made = new ArrayList<>();
    for (int g = 0; g < o.groups(); g++) {
      for (int i = 0; i < senders; i++) {
        MlsClient c = devices[g][i];
        Bytes gid = gids[g];
        int gg = g;
        int member = i;
        made.add(pool.submit(() -> {
          List<Prepared> out = new ArrayList<>(perSender);
          DsClient ds = c.dsClient();
          byte[] payload = new byte[o.payloadBytes()];
          for (int k = 0; k < perSender; k++) {
            byte[] wire = c.group(gid).encrypt(payload, new byte[0]).toByteArray();
            out.add(new Prepared(Bytes.wrap(wire), o.webSocket() ? null : ds.prepare("POST", "/ds/messages", wire, "message/mls"),
                gg, member));
          }
          return out;
        }));
      }
    }
    ConcurrentLinkedQueue<Prepared> queue = new ConcurrentLinkedQueue<>();
    for (Future<List<Prepared>> f : made) {
      perDevice.add(f.get());
    }
    // Interleave the senders so the DS sees every group and device at once.
    for (int k = 0; k < perSender; k++) {
      for (List<Prepared> l : perDevice) {
        queue.add(l.get(k));
      }
    }

    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).executor(Executors.newFixedThreadPool(4)).build();
    AtomicBoolean sending = new AtomicBoolean(true);
    AtomicBoolean receiving = new AtomicBoolean(true);
    AtomicLong accepted = new AtomicLong();
    AtomicLong[] acceptedAt = new AtomicLong[bases.length]; // by the sender's provider or node
    for (int k = 0; k < bases.length; k++) {
      acceptedAt[k] = new AtomicLong();
    }
    AtomicLong refused = new AtomicLong();
    AtomicLong delivered = new AtomicLong();
    AtomicLong deliveredInWindow = new AtomicLong();
    AtomicLong duplicates = new AtomicLong();
    AtomicLong unknown = new AtomicLong();
    AtomicLong expected = new AtomicLong();
    AtomicLong fetches = new AtomicLong();
    int receivers = Math.min(n, o.receivers());
    long[] acceptLatency = new long[o.sdk() ? 12_000 * o.seconds() : queue.size()];
    AtomicLong acceptCount = new AtomicLong();
    List<Receiver> tallies = new ArrayList<>();
    AtomicLong windowEnd = new AtomicLong(Long.MAX_VALUE);

    o.progress().accept("timed phase: " + o.seconds() + " s, " + o.inFlight() + " requests in flight, "
        + receivers + " receivers per group");
    List<Thread> threads = new ArrayList<>();
    // The simulated devices' sessions share a few HTTP clients (one selector thread each): real
    // devices have a network stack each; one selector for all would make the harness the bottleneck.
    HttpClient[] shared = new HttpClient[4];
    for (int k = 0; k < shared.length; k++) {
      shared[k] = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }
    org.jmls.ds.http.DsSession[][] sessions = new org.jmls.ds.http.DsSession[o.groups()][];
    List<AutoCloseable> sdkSessions = new ArrayList<>();
    // Receiving devices: the first ones (WS, HTTP: senders receive too), or those after the senders (SDK).
    int firstReceiver = o.sdk() ? senders : 0;
    int withSession = o.sdk() ? senders + receivers : Math.max(senders, receivers);
    for (int g = 0; g < o.groups(); g++) {
      sessions[g] = new org.jmls.ds.http.DsSession[withSession];
      for (int i = 0; i < withSession; i++) {
        MlsClient c = devices[g][i];
        if (o.sdk() && i < senders) {
          c.sharing(shared[(g * withSession + i) % shared.length]);
          sdkSessions.add(c.wakeups(() -> { }));
          continue;
        }
        Receiver tally = i >= firstReceiver && i < firstReceiver + receivers ? new Receiver() : null;
        if (tally != null) {
          tally.at = providerOf(o, bases, g, i);
          tallies.add(tally);
        }
        if (o.webSocket()) {
          sessions[g][i] = c.dsClient().sharing(shared[(g * Math.max(senders, receivers) + i) % shared.length]).openSession(pushed -> {
            if (tally == null) {
              return;
            }
            tally.lastSeq = pushed.seq();
            if ("application".equals(pushed.kind())) {
              if (o.sdk()) { // the SDK's wire bytes are not known ahead: each distinct message counts once
                long now = System.nanoTime();
                synchronized (tally) {
                  if (tally.seen.add(pushed.message())) {
                    delivered.incrementAndGet();
                    if (now <= windowEnd.get()) {
                      deliveredInWindow.incrementAndGet();
                    }
                  } else {
                    duplicates.incrementAndGet();
                  }
                }
                return;
              }
              count(tally, sentAt, senderAt, pushed.message(), System.nanoTime(), windowEnd, delivered, deliveredInWindow, duplicates,
                  unknown);
            }
          });
          if (tally != null) {
            tally.session = sessions[g][i];
            tally.session.deliver(0);
          }
          continue;
        }
        if (tally == null) {
          continue;
        }
        Thread t = new Thread(() -> {
          long after = 0;
          long lastAck = System.nanoTime();
          while (receiving.get()) {
            try {
              fetches.incrementAndGet();
              DsClient.Response r = c.dsClient().send("GET", "/ds/queue?after=" + after + "&limit=1000&wait=200", new byte[0],
                  "application/json");
              long now = System.nanoTime();
              if (r.status() != 200) {
                continue;
              }
              for (Object m : (List<?>) r.json().get("messages")) {
                Map<?, ?> e = (Map<?, ?>) m;
                after = Math.max(after, ((Number) e.get("seq")).longValue());
                if (!"application".equals(e.get("kind"))) {
                  continue;
                }
                Bytes bytes = Bytes.wrap(Base64.getDecoder().decode((String) e.get("data")));
                count(tally, sentAt, senderAt, bytes, now, windowEnd, delivered, deliveredInWindow, duplicates, unknown);
              }
              if (now - lastAck > 1_000_000_000L && after > 0) {
                c.dsClient().call("POST", "/ds/queue/ack", Map.of("upto", after));
                lastAck = now;
              }
            } catch (Exception ex) {
              if (receiving.get()) {
                unknown.incrementAndGet();
              }
            }
          }
        }, "receiver-" + g + "-" + i);
        t.setDaemon(true);
        threads.add(t);
        t.start();
      }
    }
    if (o.webSocket()) {
      // Pushed delivery is acknowledged twice a second, as a client would.
      Thread acker = new Thread(() -> {
        while (receiving.get()) {
          for (Receiver r : tallies) {
            if (r.lastSeq > 0) {
              r.session.ack(r.lastSeq);
            }
          }
          try {
            Thread.sleep(500);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "acker");
      acker.setDaemon(true);
      threads.add(acker);
      acker.start();
    }
    Thread.sleep(300);
    long warmedUp = 0;
    if (o.sdk()) {
      // WS and HTTP encrypt before the timed phase, which also warms the JIT; SDK senders warm up
      // with a few messages each, delivered and then left out of the counts.
      int warm = 50;
      for (int g = 0; g < o.groups(); g++) {
        for (int i = 0; i < senders; i++) {
          MlsClient c = devices[g][i];
          Bytes gid = gids[g];
          work.add(pool.submit(() -> {
            for (int k = 0; k < warm; k++) {
              c.send(gid, "warm-up " + k);
            }
            return null;
          }));
        }
      }
      await(work);
      long warmDeliveries = (long) warm * o.groups() * senders * receivers;
      long until = System.nanoTime() + 30_000_000_000L;
      while (delivered.get() < warmDeliveries && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      if (delivered.get() != warmDeliveries || duplicates.get() != 0) {
        throw new IllegalStateException("warm-up: " + delivered.get() + " of " + warmDeliveries + " delivered");
      }
      delivered.set(0);
      deliveredInWindow.set(0);
      warmedUp = (long) warm * o.groups() * senders;
    }
    if (!o.sdk() && o.warmupSeconds() > 0) {
      // The same load for a while first, delivered and then left out of the counts: the servers'
      // JIT compiles the delivery path before it is timed, as on servers that have been running.
      o.progress().accept("warm-up: " + o.warmupSeconds() + " s of the same load, left out of the counts");
      long warmStop = System.nanoTime() + o.warmupSeconds() * 1_000_000_000L;
      for (Thread t : posting(o, bases, queue, sessions, http, sending, warmStop, sentAt, senderAt, accepted, acceptedAt, refused,
          expected, receivers, acceptCount, acceptLatency)) {
        t.join();
      }
      long until = System.nanoTime() + 60_000_000_000L;
      while (delivered.get() < expected.get() && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      if (delivered.get() != expected.get() || duplicates.get() != 0 || unknown.get() != 0) {
        throw new IllegalStateException("warm-up: " + delivered.get() + " of " + expected.get() + " delivered, " + duplicates.get()
            + " duplicates, " + unknown.get() + " unknown");
      }
      accepted.set(0);
      for (AtomicLong a : acceptedAt) {
        a.set(0);
      }
      refused.set(0);
      delivered.set(0);
      deliveredInWindow.set(0);
      expected.set(0);
      acceptCount.set(0);
      fetches.set(0);
      for (Receiver r : tallies) {
        synchronized (r) {
          r.count = 0;
          r.inWindow = 0;
        }
      }
    }
    // JMLS_LOAD_JFR=file records a JDK Flight Recorder profile of the timed phase alone.
    String jfrFile = System.getenv("JMLS_LOAD_JFR");
    jdk.jfr.Recording jfr = null;
    if (jfrFile != null) {
      jfr = new jdk.jfr.Recording();
      jfr.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10)).withStackTrace();
      jfr.start();
    }
    double[] cpuBefore = nodes == null ? null : nodes.cpuSeconds();
    double loaderBefore = LoadServer.Nodes.ownCpuSeconds();
    long start = System.nanoTime();
    long stopAt = start + o.seconds() * 1_000_000_000L;
    List<Thread> senderThreads = new ArrayList<>();
    int sdkThreads = Math.max(1, o.inFlight() / o.batch());
    for (int s = 0; s < sdkThreads && o.sdk(); s++) {
      // SDK: each thread sends for its share of the sending devices, `batch` messages a call
      // (sendAll pipelines them over the session), so inFlight messages are in flight in all, as
      // with WS; encrypting as it goes.
      List<int[]> mine = new ArrayList<>();
      for (int g = 0; g < o.groups(); g++) {
        for (int i = 0; i < senders; i++) {
          if ((g * senders + i) % sdkThreads == s) {
            mine.add(new int[] {g, i});
          }
        }
      }
      List<String> texts = java.util.Collections.nCopies(o.batch(), "x".repeat(o.payloadBytes()));
      Thread t = new Thread(() -> {
        int k = 0;
        while (sending.get() && System.nanoTime() < stopAt && !mine.isEmpty()) {
          int[] d = mine.get(k++ % mine.size());
          long t0 = System.nanoTime();
          try {
            devices[d[0]][d[1]].sendAll(gids[d[0]], texts);
            long t1 = System.nanoTime();
            accepted.addAndGet(texts.size());
            expected.addAndGet((long) receivers * texts.size());
            for (int m = 0; m < texts.size(); m++) {
              int at = (int) acceptCount.getAndIncrement();
              if (at < acceptLatency.length) {
                acceptLatency[at] = t1 - t0;
              }
            }
          } catch (Exception e) {
            refused.addAndGet(texts.size());
          }
        }
      }, "sdk-sender-" + s);
      senderThreads.add(t);
      t.start();
    }
    if (!o.sdk()) {
      senderThreads.addAll(posting(o, bases, queue, sessions, http, sending, stopAt, sentAt, senderAt, accepted, acceptedAt, refused,
          expected, receivers, acceptCount, acceptLatency));
    }
    for (Thread t : senderThreads) {
      t.join();
    }
    long end = System.nanoTime();
    windowEnd.set(end);
    double[] cpuUsed = nodes == null ? null : nodes.cpuSeconds();
    double loaderUsed = LoadServer.Nodes.ownCpuSeconds() - loaderBefore;
    if (cpuUsed != null) {
      for (int k = 0; k < cpuUsed.length; k++) {
        cpuUsed[k] -= cpuBefore[k];
      }
    }
    if (jfr != null) {
      jfr.stop();
      jfr.dump(Path.of(jfrFile));
      jfr.close();
    }
    double seconds = (end - start) / 1e9;
    long fetchesInWindow = fetches.get();
    // Let the receivers drain what was accepted (bounded).
    long drainUntil = System.nanoTime() + 30_000_000_000L;
    while (delivered.get() < expected.get() && System.nanoTime() < drainUntil) {
      Thread.sleep(50);
    }
    receiving.set(false);
    for (Thread t : threads) {
      t.join(5000);
    }
    long overSession = 0;
    for (AutoCloseable c : sdkSessions) {
      c.close();
    }
    for (MlsClient[] row : devices) {
      for (MlsClient c : row) {
        overSession += c == null ? 0 : c.traffic().postedOverSession();
      }
    }
    if (o.sdk() && overSession != accepted.get() + warmedUp) {
      throw new IllegalStateException("the SDK posted " + (overSession - warmedUp) + " of " + accepted.get() + " messages over its sessions");
    }
    for (org.jmls.ds.http.DsSession[] row : sessions) {
      for (org.jmls.ds.http.DsSession session : row) {
        if (session != null) {
          session.close();
        }
      }
    }
    long[] acc = Arrays.copyOf(acceptLatency, (int) Math.min(acceptLatency.length, acceptCount.get()));
    Arrays.sort(acc);
    long[] del = latencies(tallies, (r, i) -> true);
    // Federated: by the receiver's provider (0 the hub's). Nodes: whether sender and receiver use the same node.
    long[][] split = new long[2][];
    for (int side = 0; side < 2; side++) {
      int sd = side;
      split[side] = latencies(tallies, (r, i) -> nodes != null ? (r.from[i] != r.at) == (sd == 1) : (r.at != 0) == (sd == 1));
    }
    // By path (sender's provider -> receiver's provider; 0 the hub's, 1 the other): p50 of each.
    double[] paths = new double[4];
    for (int from = 0; from < 2; from++) {
      for (int to = 0; to < 2; to++) {
        int f = from;
        int t = to;
        paths[from * 2 + to] = pct(latencies(tallies, (r, i) -> (r.at != 0) == (t == 1) && (r.from[i] != 0) == (f == 1)), 50);
      }
    }
    // Nodes: the wake-up, from the sender's answer to each delivery, on the sender's node and on another.
    double[] wakeUp = new double[4];
    for (int side = 0; side < 2; side++) {
      int sd = side;
      long[] sorted = values(tallies, (r, i) -> r.afterAnswer(i) >= 0 && (r.from[i] != r.at) == (sd == 1), Receiver::afterAnswer);
      wakeUp[side * 2] = pct(sorted, 50);
      wakeUp[side * 2 + 1] = pct(sorted, 99);
    }
    boolean several = bases.length > 1;
    PerNode perNode = null;
    if (nodes != null) {
      long[] deliveredAt = new long[bases.length];
      for (Receiver r : tallies) {
        deliveredAt[r.at] += r.inWindow;
      }
      long[] acceptedCounts = new long[bases.length];
      for (int k = 0; k < bases.length; k++) {
        acceptedCounts[k] = acceptedAt[k].get();
      }
      perNode = new PerNode(acceptedCounts, deliveredAt, cpuUsed, loaderUsed, o.separateDatabases(), o.databaseDelayMicros());
    }
    return new Result(o.postgres() || nodes != null ? "PostgreSQL" : "SQLite", o.sdk() ? "MlsClient over WebSocket sessions" : o.webSocket() ? "WebSocket" : "HTTP", n, o.groups(), o.groups() * n, seconds, accepted.get(), refused.get(),
        delivered.get(), expected.get(), duplicates.get(), unknown.get(), fetchesInWindow, accepted.get() / seconds, deliveredInWindow.get() / seconds,
        pct(acc, 50), pct(acc, 99), pct(del, 50), pct(del, 99), several ? pct(split[0], 50) : Double.NaN, several ? pct(split[0], 99) : Double.NaN,
        several ? pct(split[1], 50) : Double.NaN, several ? pct(split[1], 99) : Double.NaN, o.federated() ? paths : null, perNode, o.sdk() ? 0 : o.warmupSeconds(), wakeUp);
  }

  /**
   * The WS and HTTP senders: {@code inFlight} threads posting prepared messages until {@code stopAt}
   * (or the queue is empty), counting what the DS accepted; started, not joined.
   */
  private static List<Thread> posting(Options o, String[] bases, ConcurrentLinkedQueue<Prepared> queue,
      org.jmls.ds.http.DsSession[][] sessions, HttpClient http, AtomicBoolean sending, long stopAt, Map<Bytes, long[]> sentAt,
      Map<Bytes, Integer> senderAt, AtomicLong accepted, AtomicLong[] acceptedAt, AtomicLong refused, AtomicLong expected,
      int receivers, AtomicLong acceptCount, long[] acceptLatency) {
    List<Thread> threads = new ArrayList<>();
  for (int s = 0; s < o.inFlight(); s++) {
    Thread t = new Thread(() -> {
      Prepared p;
      while (sending.get() && System.nanoTime() < stopAt && (p = queue.poll()) != null) {
        long t0 = System.nanoTime();
        if (bases.length > 1) {
          senderAt.put(p.message(), providerOf(o, bases, p.group(), p.member()));
        }
        long[] times = {t0, 0};
        sentAt.put(p.message(), times);
        try {
          boolean ok;
          if (o.webSocket()) {
            try {
              sessions[p.group()][p.member()].post(p.message().unsafeArray()).get();
              ok = true;
            } catch (java.util.concurrent.ExecutionException e) {
              ok = false;
            }
          } else {
            ok = http.send(p.request(), HttpResponse.BodyHandlers.ofByteArray()).statusCode() == 200;
          }
          long t1 = System.nanoTime();
          if (ok) {
            times[1] = t1;
            accepted.incrementAndGet();
            acceptedAt[providerOf(o, bases, p.group(), p.member())].incrementAndGet();
            expected.addAndGet(receivers - (p.member() < receivers ? 1 : 0));
            int k = (int) acceptCount.getAndIncrement();
            if (k < acceptLatency.length) {
              acceptLatency[k] = t1 - t0;
            }
          } else {
            refused.incrementAndGet();
            sentAt.remove(p.message());
          }
        } catch (Exception e) {
          refused.incrementAndGet();
        }
      }
    }, "sender-" + s);
    threads.add(t);
    t.start();
  }
    return threads;
  }

  /** The delivery latencies, sorted, of the messages {@code which} picks (receiver, index of its latency). */
  private static long[] latencies(List<Receiver> tallies, java.util.function.BiPredicate<Receiver, Integer> which) {
    return values(tallies, which, Receiver::latency);
  }

  /** Of each latency {@code which} picks (receiver, index), {@code value}, sorted. */
  private static long[] values(List<Receiver> tallies, java.util.function.BiPredicate<Receiver, Integer> which,
      java.util.function.ToLongBiFunction<Receiver, Integer> value) {
    List<Long> l = new ArrayList<>();
    for (Receiver r : tallies) {
      for (int i = 0; i < r.count; i++) {
        if (which.test(r, i)) {
          l.add(value.applyAsLong(r, i));
        }
      }
    }
    return l.stream().mapToLong(Long::longValue).sorted().toArray();
  }

  /** Counts one received application message against what was sent. */
  private static void count(Receiver tally, Map<Bytes, long[]> sentAt, Map<Bytes, Integer> senderAt, Bytes bytes, long now,
      AtomicLong windowEnd, AtomicLong delivered, AtomicLong deliveredInWindow, AtomicLong duplicates, AtomicLong unknown) {
    long[] at = sentAt.get(bytes);
    if (at == null) {
      unknown.incrementAndGet();
    } else if (!tally.seen.add(bytes)) {
      duplicates.incrementAndGet();
    } else {
      delivered.incrementAndGet();
      if (now <= windowEnd.get()) {
        deliveredInWindow.incrementAndGet();
        tally.inWindow++;
      }
      tally.record(now, at, senderAt.getOrDefault(bytes, 0));
    }
  }

  private static double pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
  }

  private static void await(List<? extends Future<?>> work) throws Exception {
    for (Future<?> f : work) {
      f.get();
    }
    work.clear();
  }
}
