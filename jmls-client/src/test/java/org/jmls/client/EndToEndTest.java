package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jmls.Bytes;
import org.jmls.crypto.CipherSuite;
import org.jmls.server.JmlsServer;
import org.junit.jupiter.api.Test;

/**
 * Three users with two devices each across two groups, through real servers on loopback: a commit
 * race, a client restarted from its encrypted store, the server restarted mid-conversation, and a
 * device recovering from state loss. Every message is received exactly once by every device that
 * was a member when it was sent.
 */
class EndToEndTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final char[] PASS = "correct horse battery staple".toCharArray();

  private Path data;
  private int port;
  private JmlsServer server;
  private final Map<String, MlsClient> devices = new LinkedHashMap<>();
  private final Map<String, ClientStore> stores = new HashMap<>();
  private final Map<String, Map<String, Integer>> received = new HashMap<>();
  private final Map<String, List<String>> expected = new HashMap<>();
  private int counter;

  private String base() {
    return "http://127.0.0.1:" + port;
  }

  private void startServer() throws Exception {
    server = JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.BOTH, data, "127.0.0.1", port, null, null, null, "admin", false, 86400));
    port = server.port();
  }

  private void syncAll() throws Exception {
    for (Map.Entry<String, MlsClient> e : devices.entrySet()) {
      for (MlsClient.Received r : e.getValue().sync()) {
        received.computeIfAbsent(e.getKey(), k -> new HashMap<>()).merge(r.text(), 1, Integer::sum);
      }
    }
  }

  /** Every device sends one message to every group it is in; records who must receive it. */
  private void everyoneTalks(Map<String, Bytes> groupsByName) throws Exception {
    for (Map.Entry<String, MlsClient> e : devices.entrySet()) {
      for (Map.Entry<String, Bytes> g : groupsByName.entrySet()) {
        MlsClient c = e.getValue();
        if (!c.inGroup(g.getValue())) {
          continue;
        }
        String text = "msg" + (counter++) + " from " + e.getKey() + " in " + g.getKey();
        c.send(g.getValue(), text);
        for (String member : c.members(g.getValue())) {
          if (!member.equals(c.clientId())) {
            expected.computeIfAbsent(member, k -> new ArrayList<>()).add(text);
          }
        }
      }
    }
    syncAll();
  }

  @Test
  void threeUsersTwoDevicesTwoGroups_raceRestartsAndRecovery_exactlyOnceDelivery() throws Exception {
    data = Files.createTempDirectory("jmls-e2e");
    port = 0;
    startServer();
    try {
      for (String user : new String[] {"alice", "bob", "carol"}) {
        for (String dev : new String[] {"d1", "d2"}) {
          String id = user + "@example.com/" + dev;
          MlsClient c = new MlsClient(base(), user + "@example.com", dev, SUITE);
          c.enrol("admin", null, 4);
          Path file = Files.createTempFile("jmls-store", ".db");
          paths.put(id, file);
          ClientStore store = ClientStore.open(file, PASS);
          c.persistTo(store);
          devices.put(id, c);
          stores.put(id, store);
        }
      }
      MlsClient aliceD1 = devices.get("alice@example.com/d1");
      MlsClient bobD1 = devices.get("bob@example.com/d1");
      Bytes g1 = aliceD1.createGroup("g1");
      aliceD1.addUser(g1, "bob@example.com");
      aliceD1.addUser(g1, "carol@example.com");
      aliceD1.addUser(g1, "alice@example.com");
      syncAll();
      GroupPolicy shared = GroupPolicy.defaults("bob@example.com");
      Bytes g2 = bobD1.createGroup("g2", new GroupPolicy(shared.allowedSuites(), List.of("bob@example.com", "alice@example.com"),
          shared.externalJoins(), shared.maximumForwardDistance(), shared.outOfOrderTolerance(), shared.keyPackageLifetimeSeconds(),
          shared.selfUpdateIntervalSeconds(), shared.maxStalenessSeconds(), true)); // encrypted handshakes
      bobD1.addUser(g2, "alice@example.com");
      bobD1.addUser(g2, "bob@example.com");
      syncAll();
      Map<String, Bytes> groups = Map.of("g1", g1, "g2", g2);
      assertEquals(6, aliceD1.members(g1).size());
      assertEquals(4, bobD1.members(g2).size());
      everyoneTalks(groups);

      // The group's policy is enforced by every member: Carol is not an admin of g1.
      org.jmls.ValidationException notAdmin = assertThrows(org.jmls.ValidationException.class,
          () -> devices.get("carol@example.com/d1").removeUser(g1, "bob@example.com"));
      assertEquals("policy.admin-only", notAdmin.ruleId());

      // A commit race: three devices update their keys at once; the losers catch up and re-issue.
      ExecutorService pool = Executors.newFixedThreadPool(3);
      List<Future<Long>> racing = new ArrayList<>();
      for (String id : new String[] {"alice@example.com/d2", "bob@example.com/d2", "carol@example.com/d1"}) {
        MlsClient c = devices.get(id);
        racing.add(pool.submit(() -> c.updateKeys(g1)));
      }
      java.util.Set<Long> won = new java.util.TreeSet<>();
      for (Future<Long> f : racing) {
        won.add(f.get());
      }
      pool.shutdown();
      assertEquals(3, won.size(), "each update committed in its own epoch: " + won);
      assertEquals(2, won.stream().mapToLong(Long::longValue).max().getAsLong() - won.stream().mapToLong(Long::longValue).min().getAsLong());
      syncAll();
      everyoneTalks(groups);

      // A client process restarts from its encrypted store.
      String carolD2 = "carol@example.com/d2";
      stores.get(carolD2).close();
      assertThrows(ClientStore.StoreException.class, () -> ClientStore.open(storePath(carolD2), "wrong".toCharArray()));
      ClientStore reopened = ClientStore.open(storePath(carolD2), PASS);
      devices.put(carolD2, MlsClient.restore(base(), reopened));
      stores.put(carolD2, reopened);
      everyoneTalks(groups);

      // The server restarts mid-conversation on the same storage.
      devices.get("bob@example.com/d1").send(g1, "sent before the server restart");
      for (String member : devices.get("bob@example.com/d1").members(g1)) {
        if (!member.equals("bob@example.com/d1")) {
          expected.computeIfAbsent(member, k -> new ArrayList<>()).add("sent before the server restart");
        }
      }
      server.close();
      startServer();
      syncAll();
      everyoneTalks(groups);

      // A device loses its state and recovers each of its groups by external commit.
      MlsClient bobD2 = devices.get("bob@example.com/d2");
      bobD2.loseState();
      bobD2.recover(g1);
      bobD2.recover(g2);
      syncAll();
      everyoneTalks(groups);

      // Alice removes Carol (both devices) from g1; Carol's devices stop receiving g1 messages.
      aliceD1.removeUser(g1, "carol@example.com");
      syncAll();
      assertEquals(4, aliceD1.members(g1).size());
      everyoneTalks(groups);

      // A third device of Alice enrols; her phone brings it into both of her groups (RFC 9750 §5.10).
      MlsClient aliceD3 = new MlsClient(base(), "alice@example.com", "d3", SUITE);
      aliceD3.enrol("admin", null, 4);
      devices.put("alice@example.com/d3", aliceD3);
      assertEquals(2, aliceD1.addMyNewDevices());
      syncAll();
      assertEquals(2, aliceD3.groups().size());
      everyoneTalks(groups);

      // Credential rotation: Bob's phone renews its certificate with the AS and updates its leaf in both groups.
      long before = bobD1.credentialNotAfter();
      Thread.sleep(1100);
      bobD1.renewCredential();
      assertTrue(bobD1.credentialNotAfter() > before);
      syncAll();
      everyoneTalks(groups);

      // KeyPackage stock: claims used up Carol's one-time KeyPackages; replenishment restores it.
      MlsClient carolD1 = devices.get("carol@example.com/d1");
      assertTrue(carolD1.replenishKeyPackages(4) > 0);
      assertEquals(0, carolD1.replenishKeyPackages(4));

      Bytes auth1 = aliceD1.epochAuthenticator(g1);
      Bytes auth2 = bobD1.epochAuthenticator(g2);
      for (MlsClient c : devices.values()) {
        if (c.inGroup(g1)) {
          assertEquals(auth1, c.epochAuthenticator(g1), c.clientId());
        }
        if (c.inGroup(g2)) {
          assertEquals(auth2, c.epochAuthenticator(g2), c.clientId());
        }
      }
      for (Map.Entry<String, List<String>> e : expected.entrySet()) {
        Map<String, Integer> got = received.getOrDefault(e.getKey(), Map.of());
        for (String text : e.getValue()) {
          assertEquals(1, got.getOrDefault(text, 0), e.getKey() + " received \"" + text + "\" " + got.getOrDefault(text, 0) + " times");
        }
      }
      int total = expected.values().stream().mapToInt(List::size).sum();
      assertTrue(total > 100, "messages checked: " + total);

      // g2 runs with encrypted handshakes: the DS log holds its members' commits as PrivateMessages
      // (only external rejoins are public, as RFC 9420 §12.4.3.2 requires), and every member applies it.
      assertTrue(bobD1.group(g2).config().encryptHandshakes() && aliceD1.group(g2).config().encryptHandshakes());
      org.jmls.ds.http.DsClient.Response log = bobD1.dsClient().call("GET", "/ds/groups/" + g2.hex() + "/log?limit=1000", null);
      assertEquals(200, log.status());
      int privateCommits = 0;
      for (Object o : (List<?>) log.json().get("entries")) {
        Map<?, ?> e = (Map<?, ?>) o;
        if (!"commit".equals(e.get("kind"))) {
          continue;
        }
        org.jmls.message.MlsMessage m = org.jmls.message.MlsMessage.fromBytes(java.util.Base64.getDecoder().decode((String) e.get("data")));
        if (m.body() instanceof org.jmls.message.PrivateMessage) {
          privateCommits++;
        } else {
          assertEquals(org.jmls.message.SenderType.NEW_MEMBER_COMMIT,
              ((org.jmls.message.PublicMessage) m.body()).content().sender().senderType(), "a member's commit in the clear");
        }
      }
      assertTrue(privateCommits >= 2, "encrypted commits in g2: " + privateCommits);
    } finally {
      server.close();
    }
  }

  private final Map<String, Path> paths = new HashMap<>();

  private Path storePath(String id) {
    return paths.get(id);
  }
}
