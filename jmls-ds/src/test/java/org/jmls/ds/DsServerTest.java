package org.jmls.ds;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jmls.Bytes;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.ds.http.DsClient;
import org.jmls.ds.http.DsServer;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.KeyPackages;
import org.jmls.message.Credential;
import org.jmls.message.KeyPackage;
import org.jmls.message.Lifetime;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;
import org.jmls.service.Database;
import org.jmls.service.Databases;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A real DS on a random loopback port, driven over HTTP, on both databases. */
class DsServerTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final GroupServices S = GroupServices.development();
  private static final MlsCrypto C = S.provider().suite(SUITE);

  private static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  private static byte[] unb64(Object s) {
    return Base64.getDecoder().decode((String) s);
  }

  private static final class Device {
    final DsClient http;
    final KeyPackageBundle kp;
    Group group;
    long seq;

    final KeyPair signature;
    final org.jmls.crypto.Secret signatureKey;

    Device(String base, String id) throws Exception {
      KeyPair sig = C.generateSignatureKeyPair();
      signature = sig;
      signatureKey = sig.privateKey();
      long now = S.clock().instant().getEpochSecond();
      kp = KeyPackages.create(C, new Credential.Basic(Bytes.wrap(id.getBytes())), sig, KeyPackages.defaultCapabilities(SUITE),
          new Lifetime(now - 60, now + 86400), List.of(), List.of());
      http = new DsClient(base, id, C, sig.privateKey());
      DsClient.Response r = http.call("POST", "/ds/clients", Map.of("clientId", id, "userId", id,
          "signatureKey", b64(sig.publicKey().toByteArray()),
          "credential", b64(kp.keyPackage().leafNode().credential().toByteArray()), "cipherSuite", 1));
      assertEquals(201, r.status(), String.valueOf(r.json()));
      r = http.call("POST", "/ds/key-packages", Map.of("keyPackages",
          List.of(Map.of("data", b64(MlsMessage.of(kp.keyPackage()).toByteArray()), "lastResort", false))));
      assertEquals(201, r.status(), String.valueOf(r.json()));
    }

    void sync() throws Exception {
      DsClient.Response r = http.call("GET", "/ds/queue?after=" + seq + "&wait=2000", null);
      assertEquals(200, r.status());
      for (Object o : (List<?>) r.json().get("messages")) {
        Map<?, ?> m = (Map<?, ?>) o;
        MlsMessage msg = MlsMessage.fromBytes(unb64(m.get("data")));
        if ("welcome".equals(m.get("kind"))) {
          group = Group.join(S, GroupConfig.defaults(), (Welcome) msg.body(), kp, null);
        } else if ("commit".equals(m.get("kind"))) {
          if (group.hasPendingCommit()) {
            group.discardPendingCommit();
          }
          group.merge((Group.StagedCommit) group.process(msg));
        } else {
          group.process(msg);
        }
        seq = ((Number) m.get("seq")).longValue();
      }
      assertEquals(200, http.call("POST", "/ds/queue/ack", Map.of("upto", seq)).status());
    }
  }

  /**
   * The first device creates a group (public handshakes; external joins as given), claims a
   * KeyPackage of each other device's user and adds them all in one commit; they join from the Welcome.
   */
  private static void formGroup(byte[] groupId, boolean externalJoins, Device creator, Device... others) throws Exception {
    creator.group = Group.create(S, GroupConfig.defaults(), Bytes.wrap(groupId), creator.kp, List.of());
    assertEquals(201, creator.http.call("POST", "/ds/groups", Map.of("groupInfo", b64(creator.group.groupInfo(true).toByteArray()),
        "publicHandshakes", true, "externalJoins", externalJoins)).status());
    List<Proposal> adds = new ArrayList<>();
    for (Device d : others) {
      DsClient.Response claim = creator.http.call("POST", "/ds/key-packages/claim", Map.of("userId", d.http.clientId(), "cipherSuite", 1));
      assertEquals(200, claim.status());
      Map<?, ?> k = (Map<?, ?>) ((List<?>) claim.json().get("keyPackages")).get(0);
      adds.add(new Proposal.Add((KeyPackage) MlsMessage.fromBytes(unb64(k.get("data"))).body()));
    }
    Group.CommitResult r = creator.group.commit(adds, false);
    DsClient.Response accepted = creator.http.call("POST", "/ds/groups/commit", Map.of("commit", b64(r.commit().toByteArray()),
        "welcome", b64(r.welcome().toByteArray()), "groupInfo", b64(r.groupInfo().toByteArray())));
    assertEquals(200, accepted.status(), String.valueOf(accepted.json()));
    creator.group.mergePendingCommit();
    for (Device d : others) {
      d.sync();
    }
  }

  /**
   * A signed request is accepted once: a read sent again to the same node, and a write sent again to
   * the same node or to a second DS node on the same database, are refused as replays, and nothing is
   * done twice; a request signed anew goes through.
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void signedRequest_replayed_refusedOnEveryNode(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds"); DsServer one = DsServer.start("127.0.0.1", 0, d, S);
        DsServer two = DsServer.start("127.0.0.1", 0, d, S)) {
      Device alice = new Device("http://127.0.0.1:" + one.port(), "alice");
      HttpClient http = HttpClient.newHttpClient();
      long now = S.clock().instant().getEpochSecond();
      KeyPackage another = KeyPackages.create(C, alice.kp.keyPackage().leafNode().credential(), alice.signature,
          KeyPackages.defaultCapabilities(SUITE), new Lifetime(now - 60, now + 86400), List.of(), List.of()).keyPackage();
      byte[] upload = ("{\"keyPackages\":[{\"data\":\"" + b64(MlsMessage.of(another).toByteArray()) + "\",\"lastResort\":false}]}")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
      HttpRequest signed = alice.http.prepare("GET", "/ds/key-packages/stock", new byte[0], "application/json");
      assertEquals(200, http.send(signed, HttpResponse.BodyHandlers.ofString()).statusCode());
      HttpResponse<String> again = http.send(signed, HttpResponse.BodyHandlers.ofString());
      assertEquals(401, again.statusCode());
      assertTrue(again.body().contains("ds.unauthenticated") && again.body().contains("already used (a replay)"), again.body());
      // A write replayed, to the same node or to the other one (the record is in the database), is refused
      // and not done twice.
      HttpRequest post = alice.http.prepare("POST", "/ds/key-packages", upload, "application/json");
      assertEquals(201, http.send(post, HttpResponse.BodyHandlers.ofString()).statusCode());
      assertEquals(401, http.send(post, HttpResponse.BodyHandlers.ofString()).statusCode());
      HttpRequest toTwo = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + two.port() + "/ds/key-packages"))
          .headers(post.headers().map().entrySet().stream().filter(h -> h.getKey().startsWith("X-MLS") || h.getKey().equals("Content-Type"))
              .flatMap(h -> java.util.stream.Stream.of(h.getKey(), h.getValue().get(0))).toArray(String[]::new))
          .POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build();
      HttpResponse<String> onTwo = http.send(toTwo, HttpResponse.BodyHandlers.ofString());
      assertEquals(401, onTwo.statusCode(), onTwo.body());
      assertTrue(onTwo.body().contains("already used (a replay)"), onTwo.body());
      Map<?, ?> stock = (Map<?, ?>) ((List<?>) alice.http.call("GET", "/ds/key-packages/stock", null).json().get("stock")).get(0);
      assertEquals(2, ((Number) stock.get("oneTimeLeft")).intValue(), "the registration's KeyPackage and one upload: " + stock);
      // Signed anew, the same call goes through on either node.
      assertEquals(200, alice.http.call("GET", "/ds/key-packages/stock", null).status());
      assertEquals(200, new DsClient("http://127.0.0.1:" + two.port(), "alice", C, alice.signatureKey).call("GET",
          "/ds/key-packages/stock", null).status());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void groupFormation_messaging_commitRace_andRefusals_overHttp(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds"); DsServer ds = DsServer.start("127.0.0.1", 0, d, S)) {
      String base = "http://127.0.0.1:" + ds.port();
      Device alice = new Device(base, "alice@example.com/1");
      Device bob = new Device(base, "bob@example.com/1");
      Device carol = new Device(base, "carol@example.com/1");

      formGroup(new byte[] {1, 2, 3}, true, alice, bob, carol);
      assertEquals(alice.group.epochAuthenticator(), bob.group.epochAuthenticator());

      // Messaging: Bob posts, Alice and Carol receive in order.
      assertEquals(200, bob.http.send("POST", "/ds/messages", bob.group.encrypt("hi".getBytes(), new byte[0]).toByteArray(),
          "message/mls").status());
      alice.sync();
      carol.sync();

      // Commit race: all three commit for the same epoch; exactly one 200, the others 409 with the current epoch.
      ExecutorService pool = Executors.newFixedThreadPool(3);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> statuses = new ArrayList<>();
      for (Device dev : new Device[] {alice, bob, carol}) {
        Group.CommitResult c = dev.group.commit(List.of(), true);
        statuses.add(pool.submit(() -> {
          go.await();
          DsClient.Response resp = dev.http.call("POST", "/ds/groups/commit",
              Map.of("commit", b64(c.commit().toByteArray()), "groupInfo", b64(c.groupInfo().toByteArray())));
          if (resp.status() == 200) {
            dev.group.mergePendingCommit();
          } else {
            assertEquals(2L, ((Number) resp.json().get("currentEpoch")).longValue());
          }
          return resp.status();
        }));
      }
      go.countDown();
      List<Integer> got = new ArrayList<>();
      for (Future<Integer> f : statuses) {
        got.add(f.get());
      }
      pool.shutdown();
      assertEquals(1, got.stream().filter(s -> s == 200).count(), got.toString());
      assertEquals(2, got.stream().filter(s -> s == 409).count(), got.toString());
      for (Device dev : new Device[] {alice, bob, carol}) {
        dev.sync();
      }
      assertEquals(alice.group.epochAuthenticator(), bob.group.epochAuthenticator());
      assertEquals(alice.group.epochAuthenticator(), carol.group.epochAuthenticator());

      // Refusals: unauthenticated, non-member, malformed bodies: 4xx with a JSON error, never a 500.
      HttpClient plain = HttpClient.newHttpClient();
      HttpResponse<String> anon = plain.send(HttpRequest.newBuilder(URI.create(base + "/ds/queue")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(401, anon.statusCode());
      assertTrue(anon.body().contains("ds.unauthenticated"));
      Device eve = new Device(base, "eve@example.com/1");
      assertEquals(403, eve.http.send("POST", "/ds/messages", bob.group.encrypt("x".getBytes(), new byte[0]).toByteArray(),
          "message/mls").status());
      DsClient.Response garbage = eve.http.send("POST", "/ds/messages", new byte[] {1, 2, 3}, "message/mls");
      assertEquals(400, garbage.status());
      assertNotNull(garbage.json().get("error"));
      assertEquals(400, eve.http.send("POST", "/ds/groups/commit", "{not json".getBytes(), "application/json").status());
      // Binary commit bundles: garbage, a truncated bundle and trailing bytes are refused as such (4xx, JSON).
      Group.CommitResult probe = alice.group.commit(List.of(), true);
      byte[] bundle = new org.jmls.ds.http.CommitBundle(probe.commit(), probe.groupInfo(false), null, List.of(), List.of()).toByteArray();
      alice.group.discardPendingCommit();
      for (byte[] bad : new byte[][] {{1, 2, 3}, java.util.Arrays.copyOf(bundle, bundle.length - 1), java.util.Arrays.copyOf(bundle, bundle.length + 1)}) {
        DsClient.Response refused = eve.http.send("POST", "/ds/groups/commit", bad, org.jmls.ds.http.CommitBundle.MEDIA_TYPE);
        assertEquals(400, refused.status());
        assertEquals("ds.commit-bundle", refused.json().get("error"));
      }
      // The tree endpoint: bad input is a 4xx with the rule that names it.
      assertEquals("ds.group-id", eve.http.call("GET", "/ds/groups/zz/tree", null).json().get("error"));
      assertEquals(404, eve.http.call("GET", "/ds/groups/0a0b0c/tree", null).status());
      DsClient.Response future = alice.http.call("GET", "/ds/groups/010203/tree?epoch=999", null);
      assertEquals(404, future.status());
      assertEquals("ds.tree-unavailable", future.json().get("error"));
      assertEquals(400, alice.http.call("GET", "/ds/groups/010203/tree?epoch=abc", null).status());
      DsClient.Response tree = alice.http.call("GET", "/ds/groups/010203/tree", null);
      assertEquals(200, tree.status());
      assertArrayEquals(new org.jmls.extension.RatchetTree(alice.group.tree().toNodes()).toByteArray(), tree.raw());
      // Other requests keep the small body limit.
      DsClient.Response huge = eve.http.send("POST", "/ds/messages", new byte[DsServer.MAX_BODY + 1], "message/mls");
      assertEquals(413, huge.status());
      assertEquals("request.too-large", huge.json().get("error"));
      assertEquals(400, eve.http.call("POST", "/ds/key-packages", Map.of("keyPackages", List.of(Map.of("data", "%%%")))).status());
      DsClient.Response gi = eve.http.call("GET", "/ds/groups/010203/group-info", null);
      assertEquals(200, gi.status());

      // The group log lets a member catch up from any point; non-members may not read it.
      DsClient.Response log = alice.http.call("GET", "/ds/groups/010203/log?after=0&limit=100", null);
      assertEquals(200, log.status());
      assertEquals(2, ((List<?>) log.json().get("entries")).size(), "the adding commit and the race winner");
      assertEquals(403, eve.http.call("GET", "/ds/groups/010203/log", null).status());

      // A GroupInfo that does not match the group the DS computed is refused (RFC 9750 §5.5).
      Group.CommitResult c2 = alice.group.commit(List.of(), true);
      DsClient.Response planted = alice.http.call("POST", "/ds/groups/commit", Map.of("commit", b64(c2.commit().toByteArray()),
          "groupInfo", b64(alice.group.groupInfo(true).toByteArray())));
      assertEquals(400, planted.status());
      assertEquals("rfc9750-5.5.group-info-context", planted.json().get("error"));
      alice.group.discardPendingCommit();

      // WebSocket push: a content-free wake-up when the device's queue grows.
      java.util.concurrent.BlockingQueue<String> wakes = new java.util.concurrent.LinkedBlockingQueue<>();
      long ts = System.currentTimeMillis();
      java.net.http.WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
          .header(org.jmls.ds.http.SignedRequest.CLIENT, alice.http.clientId())
          .header(org.jmls.ds.http.SignedRequest.TIMESTAMP, Long.toString(ts))
          .header(org.jmls.ds.http.SignedRequest.SIGNATURE,
              org.jmls.ds.http.SignedRequest.sign(C, alice.kp.signatureKey(), "GET", "/ds/ws", ts, alice.http.clientId(), new byte[0]))
          .buildAsync(URI.create("ws://127.0.0.1:" + ds.port() + "/ds/ws"), new java.net.http.WebSocket.Listener() {
            @Override
            public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket w, CharSequence data, boolean last) {
              wakes.add(data.toString());
              w.request(1);
              return null;
            }
          }).get(10, java.util.concurrent.TimeUnit.SECONDS);
      Thread.sleep(200);
      assertEquals(200, bob.http.send("POST", "/ds/messages", bob.group.encrypt("ping".getBytes(), new byte[0]).toByteArray(),
          "message/mls").status());
      String wake = wakes.poll(10, java.util.concurrent.TimeUnit.SECONDS);
      assertNotNull(wake, "no WebSocket wake-up");
      assertTrue(wake.contains("wake"));
      ws.abort();
      alice.sync();
      carol.sync();

      // Abuse limits: a group-size cap and a per-device request rate.
      ds.groups().maxGroupSize(3);
      Device dave = new Device(base, "dave@example.com/1");
      DsClient.Response claimDave = alice.http.call("POST", "/ds/key-packages/claim", Map.of("userId", "dave@example.com/1"));
      Map<?, ?> dk = (Map<?, ?>) ((List<?>) claimDave.json().get("keyPackages")).get(0);
      Group.CommitResult tooBig = alice.group.commit(List.of(new Proposal.Add((KeyPackage) MlsMessage.fromBytes(unb64(dk.get("data"))).body())), false);
      DsClient.Response refused = alice.http.call("POST", "/ds/groups/commit", Map.of("commit", b64(tooBig.commit().toByteArray()),
          "welcome", b64(tooBig.welcome().toByteArray()), "groupInfo", b64(tooBig.groupInfo().toByteArray())));
      assertEquals(400, refused.status());
      assertEquals("ds.group-too-large", refused.json().get("error"));
      alice.group.discardPendingCommit();
      ds.rateLimit(5);
      int limited = 0;
      for (int i = 0; i < 40; i++) {
        if (dave.http.call("GET", "/ds/key-packages/stock", null).status() == 429) {
          limited++;
        }
      }
      assertTrue(limited > 0, "no request was rate limited");
      assertTrue(ds.groups().pruneQueues(-3600) >= 0);
      assertEquals(List.of(), ds.groups().fetch(bob.http.clientId(), 0, 100), "retention pruning empties old queues");
    }
  }

  /**
   * The WebSocket session: posts without a signature per message, pushed delivery in sequence
   * order from a cursor (messages queued before the session, a commit queued by another path, and
   * batched application messages, in order, none lost or repeated), refusals answered per request, acks.
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void webSocketSession_postsAndPushedDelivery(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds"); DsServer ds = DsServer.start("127.0.0.1", 0, d, S)) {
      String base = "http://127.0.0.1:" + ds.port();
      Device alice = new Device(base, "alice@example.com/1");
      Device bob = new Device(base, "bob@example.com/1");
      formGroup(new byte[] {4, 5, 6}, false, alice, bob);

      // Two messages queued for Alice before her session exists.
      for (String t : new String[] {"early-1", "early-2"}) {
        assertEquals(200, bob.http.send("POST", "/ds/messages", bob.group.encrypt(t.getBytes(), new byte[0]).toByteArray(),
            "message/mls").status());
      }
      java.util.concurrent.BlockingQueue<org.jmls.ds.http.DsSession.Pushed> pushed = new java.util.concurrent.LinkedBlockingQueue<>();
      try (org.jmls.ds.http.DsSession aliceSession = alice.http.openSession(pushed::add);
          org.jmls.ds.http.DsSession bobSession = bob.http.openSession(p -> { })) {
        aliceSession.deliver(alice.seq);
        // Bob posts 50 over his session, a commit of Bob's is queued by the HTTP path in the middle, then 50 more.
        List<java.util.concurrent.CompletableFuture<Void>> posted = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          posted.add(bobSession.post(bob.group.encrypt(("ws-" + i).getBytes(), new byte[0]).toByteArray()));
        }
        for (java.util.concurrent.CompletableFuture<Void> f : posted) {
          f.get(20, java.util.concurrent.TimeUnit.SECONDS);
        }
        Group.CommitResult update = bob.group.commit(List.of(), true);
        assertEquals(200, bob.http.call("POST", "/ds/groups/commit", Map.of("commit", b64(update.commit().toByteArray()),
            "groupInfo", b64(update.groupInfo().toByteArray()))).status());
        bob.group.mergePendingCommit();
        posted.clear();
        for (int i = 50; i < 100; i++) {
          posted.add(bobSession.post(bob.group.encrypt(("ws-" + i).getBytes(), new byte[0]).toByteArray()));
        }
        for (java.util.concurrent.CompletableFuture<Void> f : posted) {
          f.get(20, java.util.concurrent.TimeUnit.SECONDS);
        }
        // A refused post is answered with its rule, and the session goes on.
        java.util.concurrent.ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(
            java.util.concurrent.ExecutionException.class, () -> bobSession.post(new byte[] {0, 1, 2}).get(10, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals("ds.decode", ((org.jmls.ValidationException) refused.getCause()).ruleId());

        List<String> expected = new ArrayList<>(List.of("early-1", "early-2"));
        for (int i = 0; i < 50; i++) {
          expected.add("ws-" + i);
        }
        expected.add("<commit>");
        for (int i = 50; i < 100; i++) {
          expected.add("ws-" + i);
        }
        List<String> texts = new ArrayList<>();
        long last = alice.seq;
        while (texts.size() < expected.size()) {
          org.jmls.ds.http.DsSession.Pushed p = pushed.poll(20, java.util.concurrent.TimeUnit.SECONDS);
          assertNotNull(p, "push stopped after " + texts.size() + " messages: " + texts);
          assertTrue(p.seq() > last, "pushes come in sequence order");
          last = p.seq();
          MlsMessage m = MlsMessage.fromBytes(p.message().unsafeArray());
          if (p.kind().equals("commit")) {
            alice.group.merge((Group.StagedCommit) alice.group.process(m));
            texts.add("<commit>");
          } else {
            texts.add(new String(((Group.ApplicationMessage) alice.group.process(m)).data().toByteArray()));
          }
        }
        assertEquals(expected, texts);
        assertEquals(alice.group.epochAuthenticator(), bob.group.epochAuthenticator());
        aliceSession.ack(last);
        // Frames of one socket are handled in order: once a later post is answered, the ack is done.
        aliceSession.post(alice.group.encrypt("after the ack".getBytes(), new byte[0]).toByteArray()).get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(List.of(), ds.groups().fetch(alice.http.clientId(), 0, 10), "acknowledged over the session");
        assertEquals(null, pushed.poll(300, java.util.concurrent.TimeUnit.MILLISECONDS), "nothing pushed twice");
      }
    }
  }

  /** A WebSocket session that stays silent past the idle timeout is closed by the DS; its device can open a new one. */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite"})
  void webSocketSession_idle_closedByTheDs(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds"); DsServer ds = DsServer.start("127.0.0.1", 0, d, S)) {
      ds.sessionIdleTimeout(java.time.Duration.ofMillis(300));
      Device alice = new Device("http://127.0.0.1:" + ds.port(), "alice@example.com/1");
      org.jmls.ds.http.DsSession idle = alice.http.openSession(p -> { });
      String why = idle.closed().get(20, java.util.concurrent.TimeUnit.SECONDS);
      assertTrue(why.startsWith("1001") || why.contains("Idle"), why);
      assertTrue(!idle.isOpen());
      try (org.jmls.ds.http.DsSession again = alice.http.openSession(p -> { })) {
        assertTrue(again.isOpen(), "a new session opens after an idle one was closed");
      }
    }
  }
}
