package org.jmls.client;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.jmls.Bytes;
import org.jmls.crypto.CipherSuite;

/**
 * One large group through the real servers (issue 14): devices enrolled with the AS and registered
 * with the DS with a KeyPackage each (a handful are real clients that keep their state); one member
 * adds everyone in one commit (batched claims, one upload, one Welcome stored once); the real
 * clients join from their Welcomes with the tree the DS serves; the real clients at leaves 2, 4, 8,
 * ... commit once each (their copaths still blank: each encrypts to a large part of the group),
 * which populates the copaths of leaves 0 and 1; a device added later joins the same way; leaves 0
 * and 1 commit in turn (the round trip in a populated tree); the real clients exchange messages and
 * one that was offline catches up from its cursor. Each phase's time and bytes are reported.
 */
public final class GroupLoad {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

  /** What to run. */
  public record Options(boolean postgres, int members, int commitRounds, int messages, Consumer<String> progress) {}

  /** One phase: what it did, how long it took, the bytes it sent (0 when not applicable). */
  public record Phase(String name, double millis, long bytes, String detail) {}

  /** Everything measured. */
  public record Result(String database, int members, List<Phase> phases) {
    public String summary() {
      StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "one group of %,d devices through the servers (%s):%n", members,
          database));
      for (Phase p : phases) {
        b.append(String.format(Locale.ROOT, "  %-44s %10.1f ms%s%s%n", p.name(), p.millis(),
            p.bytes() > 0 ? String.format(Locale.ROOT, "  %,d bytes", p.bytes()) : "", p.detail().isEmpty() ? "" : "  " + p.detail()));
      }
      return b.toString();
    }
  }

  private GroupLoad() {}


  public static Result run(Options o) throws Exception {
    if (o.members() < 4) {
      throw new IllegalArgumentException("at least 4 members");
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    // The real clients' crypto workers: one per core, as an application on this machine would give them.
    ExecutorService workers = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(), r -> {
      Thread t = new Thread(r, "jmls-bench-crypto");
      t.setDaemon(true);
      return t;
    });
    try (LoadServer servers = LoadServer.start(o.postgres(), "jmls-group-load")) {
      return new Result(o.postgres() ? "PostgreSQL" : "SQLite", o.members(), measure(o, servers.base(), pool, workers));
    } finally {
      pool.shutdownNow();
      workers.shutdownNow();
    }
  }

  /** Records a phase and shows it at once (a later failure does not lose what was measured). */
  private static void phase(Options o, List<Phase> phases, Phase p) {
    phases.add(p);
    o.progress().accept(String.format(Locale.ROOT, "%s: %.1f ms%s %s", p.name(), p.millis(),
        p.bytes() > 0 ? String.format(Locale.ROOT, ", %,d bytes", p.bytes()) : "", p.detail()));
  }

  private static double since(long t0) {
    return (System.nanoTime() - t0) / 1e6;
  }

  private static List<Phase> measure(Options o, String base, ExecutorService pool, ExecutorService workers) throws Exception {
    List<Phase> phases = new ArrayList<>();
    int n = o.members();
    // The real clients (devices that keep state) sit at leaves 0, 1, 2, 4, 8, ...: once each of
    // 2, 4, 8, ... has committed, every copath node of leaves 0 and 1 is a populated parent, as in
    // a group whose members commit now and then, and their commits encrypt to O(log n) keys.
    List<Integer> ladder = new ArrayList<>(List.of(0));
    for (int leaf = 1; leaf <= n - 2; leaf <<= 1) {
      ladder.add(leaf);
    }
    int real = ladder.size();
    Map<String, Long> sent = new LinkedHashMap<>();
    MlsClient.WireLog wire = (what, bytes, epoch) -> sent.merge(what.replaceAll(".*: ", ""), (long) bytes, Long::sum);

    // 1. Devices: the real clients keep their state; the others only register and publish a KeyPackage.
    o.progress().accept("enrolling " + n + " devices (" + real + " real clients, at leaves " + ladder + ")");
    long t0 = System.nanoTime();
    MlsClient[] clients = new MlsClient[real];
    java.net.http.HttpClient sharedHttp = java.net.http.HttpClient.newHttpClient();
    List<String> users = new ArrayList<>();
    List<Future<?>> work = new ArrayList<>();
    // The group ends with n devices: the creator (leaf 0), n - 2 added in bulk (leaves 1 to n - 2, in
    // the order added), and one added later.
    for (int i = 0; i < n - 1; i++) {
      int slot = ladder.indexOf(i);
      String user = "m" + i + "@group.test";
      if (i > 0) {
        users.add(user);
      }
      work.add(pool.submit(() -> {
        MlsClient c = new MlsClient(base, user, "d", SUITE);
        if (slot < 0) {
          c.sharing(sharedHttp); // KeyPackage-only devices share one HTTP client (file descriptors, threads)
        }
        c.enrol("adm", null, 1);
        if (slot >= 0) {
          c.onWire(wire);
          c.workers(workers);
          clients[slot] = c;
        }
        return null;
      }));
      if (work.size() >= 512) {
        await(work);
      }
    }
    await(work);
    phase(o, phases, new Phase("enrol and register devices, 1 KeyPackage each", since(t0), 0,
        String.format(Locale.ROOT, "%.0f devices/s", (n - 1) / (since(t0) / 1000))));

    // 2. One member adds everyone in one commit.
    MlsClient creator = clients[0];
    Bytes gid = creator.createGroup("big");
    o.progress().accept("adding " + (n - 2) + " members in one commit");
    sent.clear();
    t0 = System.nanoTime();
    creator.addUsers(gid, users);
    phase(o, phases, new Phase("add " + (n - 2) + " (claims, commit, upload, accepted)", since(t0), sent.getOrDefault("upload", 0L),
        "Welcome " + String.format(Locale.ROOT, "%,d", sent.getOrDefault("Welcome", 0L)) + " bytes, commit "
            + String.format(Locale.ROOT, "%,d", sent.getOrDefault("commit", 0L)) + " bytes, no tree inside"));

    // 3. The real clients join from their Welcomes with the tree the DS serves.
    o.progress().accept("real clients join with the DS-served tree");
    long[] joins = new long[real - 1];
    for (int i = 1; i < real; i++) {
      t0 = System.nanoTime();
      clients[i].sync();
      joins[i - 1] = System.nanoTime() - t0;
      if (!clients[i].epochAuthenticator(gid).equals(creator.epochAuthenticator(gid))) {
        throw new IllegalStateException("real client " + i + " disagrees with the creator after joining");
      }
      if (clients[i].group(gid).myLeafIndex() != ladder.get(i)) {
        throw new IllegalStateException("real client " + i + " sits at leaf " + clients[i].group(gid).myLeafIndex() + ", not " + ladder.get(i));
      }
    }
    Arrays.sort(joins);
    phase(o, phases, new Phase("join from Welcome + DS-served tree (validated)", joins[joins.length / 2] / 1e6, 0,
        String.format(Locale.ROOT, "p50 of %d real clients, max %.1f ms", joins.length, joins[joins.length - 1] / 1e6)));

    // 4. Commit round trips while the tree is as the bulk add left it: only the creator's path is set,
    // so a path from another leaf encrypts to about every member.
    o.progress().accept("commits from leaves 2, 4, 8, ... (their copaths still blank)");
    List<Long> firsts = new ArrayList<>();
    long firstBytes = 0;
    t0 = System.nanoTime();
    for (int i = real - 1; i >= 2; i--) {
      sent.clear();
      long c0 = System.nanoTime();
      clients[i].updateKeys(gid);
      firsts.add(System.nanoTime() - c0);
      firstBytes = Math.max(firstBytes, sent.getOrDefault("upload", 0L));
      for (int j = 0; j < real; j++) {
        if (j != i) {
          clients[j].sync();
        }
      }
    }
    double populate = since(t0);
    if (!firsts.isEmpty()) {
      List<Long> sorted = new ArrayList<>(firsts);
      java.util.Collections.sort(sorted);
      phase(o, phases, new Phase("commit from a leaf with a blank copath (create, post)", sorted.get(sorted.size() / 2) / 1e6, firstBytes,
          String.format(Locale.ROOT, "p50 of %d (leaves %s, largest first: %.1f ms); all real clients merged each: %.1f s in all",
              sorted.size(), ladder.subList(2, real), firsts.get(0) / 1e6, populate / 1000)));
    }

    // 5. A device added now joins the same way.
    o.progress().accept("a new device joins");
    MlsClient late = new MlsClient(base, "late@group.test", "d", SUITE);
    late.workers(workers);
    late.enrol("adm", null, 1);
    sent.clear();
    t0 = System.nanoTime();
    creator.addUser(gid, "late@group.test");
    double addOne = since(t0);
    long addOneBytes = sent.getOrDefault("upload", 0L);
    t0 = System.nanoTime();
    late.sync();
    phase(o, phases, new Phase("add 1 (claim, commit, upload, accepted)", addOne, addOneBytes, ""));
    phase(o, phases, new Phase("new device joins (Welcome + DS-served tree)", since(t0), 0,
        late.members(gid).size() + " members seen"));
    for (int i = 1; i < real; i++) {
      clients[i].sync();
    }

    // 6. Commit round trips with populated copaths: leaves 0 and 1 commit in turn with a path, the
    // other fetches and merges.
    o.progress().accept(o.commitRounds() + " commit round trips (populated copaths)");
    long[] rounds = new long[o.commitRounds()];
    long[] posts = new long[o.commitRounds()];
    long uploadBytes = 0;
    for (int r = 0; r < rounds.length; r++) {
      MlsClient committer = clients[r % 2 == 0 ? 1 : 0];
      MlsClient reader = clients[r % 2 == 0 ? 0 : 1];
      sent.clear();
      t0 = System.nanoTime();
      committer.updateKeys(gid);
      posts[r] = System.nanoTime() - t0;
      reader.sync();
      rounds[r] = System.nanoTime() - t0;
      uploadBytes = Math.max(uploadBytes, sent.getOrDefault("upload", 0L));
      if (!reader.epochAuthenticator(gid).equals(committer.epochAuthenticator(gid))) {
        throw new IllegalStateException("round " + r + ": the reader did not merge the commit");
      }
    }
    Arrays.sort(rounds);
    Arrays.sort(posts);
    for (MlsClient c : clients) {
      c.sync();
    }
    late.sync();
    phase(o, phases, new Phase("commit round trip p50 (create, post, fetch, merge)", rounds[rounds.length / 2] / 1e6, uploadBytes,
        String.format(Locale.ROOT, "p90 %.1f ms over %d rounds, populated copaths (create and post alone: p50 %.1f ms); bytes: largest upload",
            rounds[(int) (rounds.length * 0.9)] / 1e6, rounds.length, posts[posts.length / 2] / 1e6)));

    // 7. Messages: the real clients but one exchange messages; the last one, offline, catches up from its cursor,
    // keeping its state as the CLI does (an encrypted SQLite store, written after each page it processes).
    MlsClient offline = clients[real - 1];
    java.nio.file.Path storeDir = java.nio.file.Files.createTempDirectory("jmls-bench-store");
    byte[] storeKey = new byte[32];
    new java.security.SecureRandom().nextBytes(storeKey);
    try (ClientStore store = ClientStore.openWithKey(storeDir.resolve("offline.db"), storeKey)) {
      offline.persistTo(store);
      return messages(o, phases, clients, real, offline, gid);
    } finally {
      try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(storeDir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  private static List<Phase> messages(Options o, List<Phase> phases, MlsClient[] clients, int real, MlsClient offline, Bytes gid)
      throws Exception {
    o.progress().accept(o.messages() + " messages while one real client is offline");
    long t0 = System.nanoTime();
    for (int m = 0; m < o.messages(); m++) {
      clients[m % (real - 1)].send(gid, "message " + m);
    }
    phase(o, phases, new Phase("send " + o.messages() + " messages (HTTP, one at a time)", since(t0), 0,
        String.format(Locale.ROOT, "%.0f msg/s", o.messages() / (since(t0) / 1000))));
    t0 = System.nanoTime();
    int got = offline.sync().size();
    double catchUp = since(t0);
    int expected = o.messages(); // every message came from another client
    if (got != expected) {
      throw new IllegalStateException("the offline client caught up " + got + " messages, expected " + expected);
    }
    phase(o, phases, new Phase("offline client catches up from its cursor (state in its store)", catchUp, 0,
        String.format(Locale.ROOT, "%d messages, %.0f msg/s", got, got / (catchUp / 1000))));
    return phases;
  }

  private static void await(List<Future<?>> work) throws Exception {
    for (Future<?> f : work) {
      f.get();
    }
    work.clear();
  }
}
