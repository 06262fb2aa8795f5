package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jmls.Bytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three server processes (nodes) on one embedded PostgreSQL, as an operator runs them behind a
 * load balancer: what is posted on one node is pushed to sessions on the others, in order; commit
 * races across the nodes have one winner per epoch; a node SIGKILLed under load loses nothing its
 * clients were told was stored, they move to the other nodes, and the node rejoins on restart.
 */
class ClusterProcessTest {
  /** One node: its port, data folder (admin token file only: the state is in PostgreSQL) and process. */
  static final class Node {
    final String name;
    final int port;
    final Path data;
    Process process;

    Node(String name) throws Exception {
      this.name = name;
      this.port = freePort();
      this.data = Files.createTempDirectory("jmls-node-" + name);
    }

    String url() {
      return "http://127.0.0.1:" + port;
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private final List<Node> nodes = new ArrayList<>();
  private String jdbc;

  /** Starts {@code n} nodes on one fresh database, all at once (they race to create the schema and the AS root). */
  private void cluster(int n) throws Exception {
    EmbeddedPostgres pg = org.jmls.service.Databases.postgres();
    String name = "cluster" + System.nanoTime();
    try (var c = pg.getPostgresDatabase().getConnection(); var s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    jdbc = pg.getJdbcUrl("postgres", name);
    List<Thread> starting = new ArrayList<>();
    List<Exception> failed = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < n; i++) {
      Node node = new Node("n" + (i + 1));
      nodes.add(node);
      Thread t = new Thread(() -> {
        try {
          start(node);
        } catch (Exception e) {
          failed.add(e);
        }
      });
      t.start();
      starting.add(t);
    }
    for (Thread t : starting) {
      t.join();
    }
    assertEquals(List.of(), failed);
  }

  private void start(Node node) throws Exception {
    node.process = org.jmls.server.ServerProcess.start(List.of("-Djmls.node=" + node.name), node.data, node.port, "adm", jdbc);
  }

  @AfterEach
  void stop() {
    for (Node n : nodes) {
      if (n.process != null) {
        n.process.destroyForcibly();
      }
    }
  }

  private static MlsClient device(String url, String user) throws Exception {
    MlsClient c = new MlsClient(url, user, "phone", TestServers.SUITE);
    c.enrol("adm", null, 2);
    return c;
  }

  /** A node's count of other nodes' appends it read back from the database ({@code jmls_cluster_read_backs_total}). */
  private static long readBacks(String url) throws Exception {
    String body = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    for (String line : body.split("\n")) {
      if (line.startsWith("jmls_cluster_read_backs_total ")) {
        return (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
      }
    }
    throw new AssertionError("no jmls_cluster_read_backs_total at " + url + ":\n" + body);
  }

  /** Syncs {@code c} on the DS's long-poll until it is in the group; fails after 60 s. */
  private static void awaitJoined(MlsClient c, Bytes gid) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (!c.inGroup(gid)) {
      assertTrue(System.currentTimeMillis() < deadline, c.clientId() + " never joined");
      c.syncWaiting(5_000);
    }
  }

  /** A sender and a receiver on each node, in one group the first sender made; the receivers hold sessions that release their semaphore. */
  private record Crowd(List<MlsClient> senders, List<MlsClient> receivers, Bytes gid, List<Semaphore> wakes, List<AutoCloseable> sessions) {}

  private Crowd crowd(java.util.function.IntFunction<String> urlOf) throws Exception {
    List<MlsClient> senders = new ArrayList<>();
    List<MlsClient> receivers = new ArrayList<>();
    List<String> others = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      senders.add(device(urlOf.apply(k), "sender" + k + "@example.com"));
      receivers.add(device(urlOf.apply(k), "receiver" + k + "@example.com"));
      if (k > 0) {
        others.add("sender" + k + "@example.com");
      }
      others.add("receiver" + k + "@example.com");
    }
    Bytes gid = senders.get(0).createGroup("across nodes");
    senders.get(0).addUsers(gid, others);
    for (int k = 0; k < 3; k++) {
      awaitJoined(senders.get(k), gid); // woken across nodes: the Welcomes were stored by node 1
      awaitJoined(receivers.get(k), gid);
    }
    List<Semaphore> wakes = new ArrayList<>();
    List<AutoCloseable> sessions = new ArrayList<>();
    for (MlsClient r : receivers) {
      Semaphore w = new Semaphore(0);
      wakes.add(w);
      sessions.add(r.wakeups(w::release));
    }
    return new Crowd(senders, receivers, gid, wakes, sessions);
  }

  /**
   * A sender and a receiver on each of the three nodes; the senders post at once while each
   * receiver has a session open: every receiver gets all three senders' messages by push (none read
   * over HTTP, which the SDK does only every 30 s while a session is open), each sender's in the
   * order it sent them, its own node's interleaved with the others'. A node that announced its own
   * appends before the other nodes' earlier ones would push out of order and skip the earlier ones
   * for good; the receivers would then wait 30 s for them and fail here.
   */
  @Test
  void postedOnEachNode_pushedToSessionsOnEveryNode_inOrder() throws Exception {
    cluster(3);
    Crowd crowd = crowd(k -> nodes.get(k).url());
    List<MlsClient> senders = crowd.senders();
    List<MlsClient> receivers = crowd.receivers();
    List<String> users = senders.stream().map(MlsClient::user).toList();
    Bytes gid = crowd.gid();
    List<Semaphore> wakes = crowd.wakes();
    int n = 200;
    for (MlsClient r : receivers) {
      assertEquals(0, r.traffic().readFromPushes());
    }
    long[] readBacks = new long[3];
    for (int k = 0; k < 3; k++) {
      readBacks[k] = readBacks(nodes.get(k).url());
    }
    List<Thread> posting = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      MlsClient d = senders.get(k);
      String who = users.get(k);
      Thread t = new Thread(() -> {
        try {
          for (int i = 0; i < n; i += 20) {
            List<String> batch = new ArrayList<>();
            for (int j = i; j < i + 20; j++) {
              batch.add(who + " " + j + " " + "-".repeat(2_500)); // long: more than one in a batch takes several notifications
            }
            d.sendAll(gid, batch);
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      t.start();
      posting.add(t);
    }
    List<Integer> expected = java.util.stream.IntStream.range(0, n).boxed().toList();
    for (int k = 0; k < 3; k++) {
      MlsClient r = receivers.get(k);
      java.util.Map<String, List<Integer>> bySender = new java.util.TreeMap<>();
      int got = 0;
      while (got < 3 * n) {
        assertTrue(wakes.get(k).tryAcquire(20, TimeUnit.SECONDS), r.clientId() + " was not woken; got " + got + " of " + 3 * n);
        for (MlsClient.Received m : r.sync()) {
          String[] f = m.text().split(" ");
          bySender.computeIfAbsent(f[0], x -> new ArrayList<>()).add(Integer.parseInt(f[1]));
          got++;
        }
      }
      for (String u : users) {
        assertEquals(expected, bySender.get(u), r.clientId() + " from " + u);
      }
      assertEquals(3L * n, r.traffic().readFromPushes(), r.clientId() + ": every message by push");
    }
    // Every node had the other nodes' messages from their notifications, none read back from the database.
    for (int k = 0; k < 3; k++) {
      assertEquals(readBacks[k], readBacks(nodes.get(k).url()), "node " + (k + 1) + " read other nodes' appends back");
    }
    for (Thread t : posting) {
      t.join();
    }
    for (AutoCloseable s : crowd.sessions()) {
      s.close();
    }
  }

  /** Devices racing and rounds of the race across the nodes. */
  private static final int RACERS = 50;
  private static final int ROUNDS = 200;

  /** Thrown by a racer's post hook when it lost: it does not retry, so every round is one epoch. */
  private static final class LostRace extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  /**
   * Fifty members spread over the three nodes commit at once, round after round: each builds its
   * commit on the same epoch before any posts (held at the post by a hook), so their posts reach
   * the three nodes together. Each round exactly one wins (200) and the other 49 are told the epoch
   * is gone (409); after 200 rounds every member is in the same epoch with one epoch authenticator.
   */
  @Test
  void fiftyMembersOnThreeNodes_raceCommitsFor200Rounds_oneWinnerPerEpoch() throws Exception {
    cluster(3);
    List<MlsClient> members = new ArrayList<>();
    List<String> users = new ArrayList<>();
    for (int i = 0; i < RACERS; i++) {
      users.add("racer" + i + "@example.com");
      members.add(device(nodes.get(i % 3).url(), users.get(i)));
    }
    Bytes gid = members.get(0).createGroup("race");
    members.get(0).addUsers(gid, users.subList(1, RACERS));
    for (MlsClient m : members) {
      awaitJoined(m, gid);
    }
    long start = members.get(0).epoch(gid);
    List<Integer> statuses = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.CyclicBarrier allBuilt = new java.util.concurrent.CyclicBarrier(RACERS);
    for (MlsClient m : members) {
      m.beforePost = () -> {
        try {
          allBuilt.await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      };
      m.afterPost = status -> {
        statuses.add(status);
        if (status == 409) {
          throw new LostRace();
        }
      };
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(RACERS);
    try {
      List<Long> won = new ArrayList<>();
      for (int round = 0; round < ROUNDS; round++) {
        long epoch = start + round;
        List<java.util.concurrent.Future<Long>> caughtUp = new ArrayList<>();
        for (MlsClient m : members) { // each takes the last round's winning commit, all at once
          caughtUp.add(pool.submit(() -> {
            long deadline = System.currentTimeMillis() + 60_000;
            while (m.epoch(gid) < epoch && System.currentTimeMillis() < deadline) {
              m.syncWaiting(5_000);
            }
            return m.epoch(gid);
          }));
        }
        for (int i = 0; i < RACERS; i++) {
          assertEquals(epoch, caughtUp.get(i).get(120, TimeUnit.SECONDS), members.get(i).clientId());
        }
        statuses.clear();
        List<java.util.concurrent.Future<Long>> results = new ArrayList<>();
        for (MlsClient m : members) {
          results.add(pool.submit(() -> m.updateKeys(gid)));
        }
        int lost = 0;
        for (java.util.concurrent.Future<Long> f : results) {
          try {
            won.add(f.get(120, TimeUnit.SECONDS));
          } catch (java.util.concurrent.ExecutionException e) {
            assertTrue(e.getCause() instanceof LostRace, "round " + round + ": " + e.getCause());
            lost++;
          }
        }
        assertEquals(RACERS - 1, lost, "round " + round);
        List<Integer> expected = new ArrayList<>(java.util.Collections.nCopies(RACERS - 1, 409));
        expected.add(0, 200);
        assertEquals(expected, statuses.stream().sorted(java.util.Comparator.comparing((Integer x) -> x != 200)).toList(), "round " + round);
      }
      assertEquals(ROUNDS, new java.util.HashSet<>(won).size(), "one commit per epoch: " + won);
      assertEquals(start + ROUNDS, won.stream().mapToLong(Long::longValue).max().getAsLong());
    } finally {
      pool.shutdownNow();
    }
    for (MlsClient m : members) {
      m.beforePost = () -> {};
      m.afterPost = status -> {};
      while (m.epoch(gid) < start + ROUNDS) {
        m.syncWaiting(5_000);
      }
      assertEquals(members.get(0).epochAuthenticator(gid), m.epochAuthenticator(gid), m.clientId());
    }
    // And the group still talks, across nodes.
    members.get(1).send(gid, "done");
    assertEquals("done", receiveOne(members.get(2)));
  }

  private static String receiveOne(MlsClient c) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (true) {
      assertTrue(System.currentTimeMillis() < deadline, c.clientId() + " got nothing");
      List<MlsClient.Received> got = c.syncWaiting(5_000);
      if (!got.isEmpty()) {
        assertEquals(1, got.size());
        return got.get(0).text();
      }
    }
  }

  /** Every node's URL, starting with node {@code k}'s: a device of that node that moves on when it dies. */
  private String urlsFrom(int k) {
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      urls.add(nodes.get((k + i) % nodes.size()).url());
    }
    return String.join(",", urls);
  }

  /**
   * A sender and a receiver on each node; the receivers hold sessions. While the senders post,
   * node 3 is SIGKILLed: its devices move to the other nodes (the SDK's next request, and its
   * session, go to the next node in their list), every message a sender was told was stored
   * reaches every receiver exactly once and in each sender's order, and nothing reaches anyone
   * twice. Node 3, started again with the same command, serves at once: a device that only knows
   * it gets what is posted on node 1, pushed.
   */
  @Test
  void nodeKilledUnderLoad_clientsMoveOn_everyAcknowledgedMessageOnce_nodeRejoins() throws Exception {
    cluster(3);
    Crowd crowd = crowd(this::urlsFrom);
    List<MlsClient> senders = crowd.senders();
    List<MlsClient> receivers = crowd.receivers();
    Bytes gid = crowd.gid();
    List<Semaphore> wakes = crowd.wakes();
    List<AutoCloseable> sessions = crowd.sessions();

    int n = 300;
    List<List<String>> acknowledged = new ArrayList<>();
    java.util.concurrent.CountDownLatch aThird = new java.util.concurrent.CountDownLatch(3);
    List<Thread> posting = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      MlsClient d = senders.get(k);
      List<String> ok = java.util.Collections.synchronizedList(new ArrayList<>());
      acknowledged.add(ok);
      String who = "sender" + k;
      Thread t = new Thread(() -> {
        for (int i = 0; i < n; i++) {
          if (i == n / 3) {
            aThird.countDown();
          }
          String text = who + " " + i;
          try {
            d.send(gid, text);
            ok.add(text);
          } catch (Exception lost) {
            // its node died under it: not acknowledged (maybe stored); the next send goes to another node
          }
        }
      });
      t.start();
      posting.add(t);
    }
    aThird.await(60, TimeUnit.SECONDS);
    nodes.get(2).process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    for (Thread t : posting) {
      t.join(120_000);
    }
    for (int k = 0; k < 3; k++) {
      assertTrue(acknowledged.get(k).size() >= n - 5, "sender" + k + " moved on: " + acknowledged.get(k).size() + " of " + n);
    }

    for (int k = 0; k < 3; k++) {
      MlsClient r = receivers.get(k);
      List<String> got = new ArrayList<>();
      long deadline = System.currentTimeMillis() + 90_000;
      while (!got.containsAll(acknowledged.get(0)) || !got.containsAll(acknowledged.get(1)) || !got.containsAll(acknowledged.get(2))) {
        assertTrue(System.currentTimeMillis() < deadline, r.clientId() + " got " + got.size());
        wakes.get(k).tryAcquire(1, TimeUnit.SECONDS); // woken by a push, or looks again (its session may be reopening)
        for (MlsClient.Received m : r.sync()) {
          got.add(m.text());
        }
      }
      for (MlsClient.Received m : r.sync()) {
        got.add(m.text());
      }
      assertEquals(got.size(), new java.util.HashSet<>(got).size(), r.clientId() + " got a message twice");
      for (int s = 0; s < 3; s++) {
        String prefix = "sender" + s + " ";
        List<String> fromS = got.stream().filter(t -> t.startsWith(prefix)).toList();
        List<Integer> order = fromS.stream().map(t -> Integer.parseInt(t.substring(prefix.length()))).toList();
        assertEquals(order.stream().sorted().toList(), order, r.clientId() + " from sender" + s + " in order");
      }
    }
    // The sessions moved too: one more message is pushed to every receiver, node 3's included.
    wakes.forEach(Semaphore::drainPermits);
    senders.get(1).send(gid, "after the move");
    for (int k = 0; k < 3; k++) {
      MlsClient r = receivers.get(k);
      long pushed = r.traffic().readFromPushes();
      List<String> got = new ArrayList<>();
      while (got.isEmpty()) {
        assertTrue(wakes.get(k).tryAcquire(20, TimeUnit.SECONDS), r.clientId() + "'s session did not come back");
        for (MlsClient.Received m : r.sync()) {
          got.add(m.text());
        }
      }
      assertEquals(List.of("after the move"), got, r.clientId());
      assertEquals(pushed + 1, r.traffic().readFromPushes(), r.clientId() + " got it by push");
    }
    for (AutoCloseable s : sessions) {
      s.close();
    }

    // Node 3 again, same command: it serves at once, and pushes what node 1 stores.
    start(nodes.get(2));
    MlsClient late = device(nodes.get(2).url(), "late@example.com");
    senders.get(0).addUser(gid, "late@example.com");
    awaitJoined(late, gid);
    Semaphore w = new Semaphore(0);
    try (AutoCloseable session = late.wakeups(w::release)) {
      senders.get(0).send(gid, "welcome back");
      List<String> got = new ArrayList<>();
      while (got.isEmpty()) {
        assertTrue(w.tryAcquire(20, TimeUnit.SECONDS), "the restarted node pushed nothing");
        for (MlsClient.Received m : late.sync()) {
          got.add(m.text());
        }
      }
      assertEquals(List.of("welcome back"), got);
      assertEquals(1, late.traffic().readFromPushes());
    }
  }
}
