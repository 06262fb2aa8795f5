package org.jmls.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jmls.Bytes;
import org.jmls.ds.http.DsClient;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.message.KeyPackage;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Done-when scenarios of the services issue, through real servers on loopback over HTTP,
 * against SQLite and PostgreSQL. Set JMLS_RACE_ROUNDS to change the 200 commit-race rounds.
 */
class ServicesIntegrationTest {
  static JmlsServer start(String db) throws Exception {
    String url = null;
    if (db.equals("postgres")) {
      EmbeddedPostgres pg = org.jmls.service.Databases.postgres();
      String name = "it" + System.nanoTime();
      try (var c = pg.getPostgresDatabase().getConnection(); var s = c.createStatement()) {
        s.execute("CREATE DATABASE " + name);
      }
      url = pg.getJdbcUrl("postgres", name);
    }
    return JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.BOTH, Files.createTempDirectory("jmls-it"), "127.0.0.1", 0,
        url, "postgres", "postgres", "admin", false, 86400));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void fiftyClientsRaceCommits_exactlyOneAcceptedPerRound_allAgree(String db) throws Exception {
    int rounds = Integer.parseInt(System.getenv().getOrDefault("JMLS_RACE_ROUNDS", "200"));
    try (JmlsServer s = start(db)) {
      String base = "http://127.0.0.1:" + s.port();
      GroupServices services = GroupServices.development();
      List<Member> members = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        members.add(new Member(base, "admin", "user" + i + "@example.com", "d", services));
      }
      Member creator = members.get(0);
      creator.group = Group.create(services, GroupConfig.defaults(), Bytes.wrap(new byte[] {5, 0}), creator.kp, List.of());
      assertEquals(201, creator.ds.call("POST", "/ds/groups", Map.of("groupInfo", Member.b64(creator.group.groupInfo(true).toByteArray()),
          "publicHandshakes", true, "externalJoins", false)).status());
      List<Proposal> adds = new ArrayList<>();
      for (Member m : members.subList(1, 50)) {
        DsClient.Response claim = creator.ds.call("POST", "/ds/key-packages/claim",
            Map.of("userId", m.id.substring(0, m.id.indexOf('/')), "cipherSuite", 1));
        Map<?, ?> k = (Map<?, ?>) ((List<?>) claim.json().get("keyPackages")).get(0);
        adds.add(new Proposal.Add((KeyPackage) MlsMessage.fromBytes(Member.unb64(k.get("data"))).body()));
      }
      Group.CommitResult r = creator.group.commit(adds, false);
      assertEquals(200, creator.ds.call("POST", "/ds/groups/commit", Map.of("commit", Member.b64(r.commit().toByteArray()),
          "welcome", Member.b64(r.welcome().toByteArray()), "groupInfo", Member.b64(r.groupInfo().toByteArray()))).status());
      creator.group.mergePendingCommit();
      for (Member m : members.subList(1, 50)) {
        m.sync();
      }

      ExecutorService pool = Executors.newFixedThreadPool(8);
      for (int round = 0; round < rounds; round++) {
        long epoch = creator.group.epoch();
        List<Future<Group.CommitResult>> built = new ArrayList<>(); // each member's own group: built side by side
        for (Member m : members) {
          built.add(pool.submit(() -> m.group.commit(List.of(), true)));
        }
        List<Group.CommitResult> commits = new ArrayList<>();
        for (Future<Group.CommitResult> f : built) {
          commits.add(f.get());
        }
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
          Member m = members.get(i);
          Group.CommitResult c = commits.get(i);
          results.add(pool.submit(() -> {
            go.await();
            DsClient.Response resp = m.ds.call("POST", "/ds/groups/commit",
                Map.of("commit", Member.b64(c.commit().toByteArray()), "groupInfo", Member.b64(c.groupInfo().toByteArray())));
            if (resp.status() == 200) {
              m.group.mergePendingCommit();
            } else {
              assertEquals(409, resp.status(), String.valueOf(resp.json()));
              assertEquals(epoch + 1, ((Number) resp.json().get("currentEpoch")).longValue());
            }
            return resp.status();
          }));
        }
        go.countDown();
        int accepted = 0;
        for (Future<Integer> f : results) {
          accepted += f.get() == 200 ? 1 : 0;
        }
        assertEquals(1, accepted, "round " + round);
        List<Future<?>> synced = new ArrayList<>();
        for (Member m : members) {
          synced.add(pool.submit(() -> {
            m.sync();
            return null;
          }));
        }
        for (Future<?> f : synced) {
          f.get();
        }
        Bytes auth = creator.group.epochAuthenticator();
        for (Member m : members) {
          assertEquals(epoch + 1, m.group.epoch(), m.id);
          assertEquals(auth, m.group.epochAuthenticator(), m.id);
        }
      }
      pool.shutdown();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void hundredConcurrentClaimsOverHttp_andImpersonationRefused(String db) throws Exception {
    try (JmlsServer s = start(db)) {
      String base = "http://127.0.0.1:" + s.port();
      GroupServices services = GroupServices.development();
      Member bob = new Member(base, "admin", "bob@example.com", "phone", services);
      List<Map<String, Object>> more = new ArrayList<>();
      for (int i = 0; i < 9; i++) {
        long now = System.currentTimeMillis() / 1000;
        var kp = org.jmls.group.KeyPackages.create(Member.C, bob.kp.keyPackage().leafNode().credential(),
            new org.jmls.crypto.KeyPair(bob.kp.signatureKey(), bob.kp.keyPackage().leafNode().signatureKey()),
            org.jmls.group.KeyPackages.defaultCapabilities(Member.SUITE), new org.jmls.message.Lifetime(now - 60, now + 86400),
            List.of(), List.of());
        more.add(Map.of("data", Member.b64(MlsMessage.of(kp.keyPackage()).toByteArray()), "lastResort", false));
      }
      var last = org.jmls.group.KeyPackages.create(Member.C, bob.kp.keyPackage().leafNode().credential(),
          new org.jmls.crypto.KeyPair(bob.kp.signatureKey(), bob.kp.keyPackage().leafNode().signatureKey()),
          org.jmls.group.KeyPackages.defaultCapabilities(Member.SUITE),
          new org.jmls.message.Lifetime(System.currentTimeMillis() / 1000 - 60, System.currentTimeMillis() / 1000 + 86400), List.of(), List.of());
      more.add(Map.of("data", Member.b64(MlsMessage.of(last.keyPackage()).toByteArray()), "lastResort", true));
      assertEquals(201, bob.ds.call("POST", "/ds/key-packages", Map.of("keyPackages", more)).status());
      Member alice = new Member(base, "admin", "alice@example.com", "laptop", services);

      ExecutorService pool = Executors.newFixedThreadPool(16);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Map<?, ?>>> claims = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        claims.add(pool.submit(() -> {
          go.await();
          DsClient.Response r = alice.ds.call("POST", "/ds/key-packages/claim", Map.of("userId", "bob@example.com", "cipherSuite", 1));
          assertEquals(200, r.status());
          return (Map<?, ?>) ((List<?>) r.json().get("keyPackages")).get(0);
        }));
      }
      go.countDown();
      Set<Object> oneTime = new HashSet<>();
      Set<Object> lastResort = new HashSet<>();
      int lastResortCount = 0;
      for (Future<Map<?, ?>> f : claims) {
        Map<?, ?> k = f.get();
        if (Boolean.TRUE.equals(k.get("lastResort"))) {
          lastResort.add(k.get("data"));
          lastResortCount++;
        } else {
          assertTrue(oneTime.add(k.get("data")), "a one-time KeyPackage was handed out twice");
        }
      }
      pool.shutdown();
      assertEquals(10, oneTime.size());
      assertEquals(90, lastResortCount);
      assertEquals(1, lastResort.size());

      // Alice signing a request as Bob (to read Bob's queue) is refused.
      DsClient impostor = new DsClient(base, bob.id, Member.C, alice.kp.signatureKey());
      DsClient.Response r = impostor.call("GET", "/ds/queue", null);
      assertEquals(401, r.status());
      assertEquals("ds.unauthenticated", r.json().get("error"));
    }
  }
}
