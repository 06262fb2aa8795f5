package org.jmls.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.ds.http.DsClient;
import org.jmls.group.KeyPackages;
import org.jmls.message.KeyPackage;
import org.jmls.message.MlsMessage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two providers, example.com and example.org, each with its own AS and DS and database, on real
 * HTTP on loopback: a device of example.com claims the KeyPackages of a user of example.org through
 * its own DS, which claims them at example.org, checks them and records the devices; one-time
 * KeyPackages are still handed out once; provider requests that are not signed by a configured
 * peer, replayed, or about another provider's users are refused; an unreachable peer or unknown
 * domain is said as such.
 */
class KeyPackageFederationTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> claimed(DsClient.Response r) {
    assertEquals(200, r.status(), () -> String.valueOf(r.json()));
    return (List<Map<String, Object>>) r.json().get("keyPackages");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void crossDomainClaim_throughTheUsersProvider_oncePerKeyPackage(String db) throws Exception {
    try (Provider com = Provider.create("example.com", db); Provider org = Provider.create("example.org", db)) {
      com.start(org);
      org.start(com);
      Provider.Device alice = com.device("alice@example.com", "phone", 1);
      com.device("charlie@example.com", "laptop", 1);
      org.device("bob@example.org", "phone", 1);
      org.device("bob@example.org", "tablet", 1);

      List<Map<String, Object>> first = claimed(alice.ds().call("POST", "/ds/key-packages/claim",
          Map.of("userIds", List.of("bob@example.org", "charlie@example.com"), "cipherSuite", 1)));
      assertEquals(List.of("bob@example.org/phone", "bob@example.org/tablet", "charlie@example.com/laptop"),
          first.stream().map(e -> e.get("clientId")).toList());
      assertEquals(List.of(false, false, false), first.stream().map(e -> e.get("lastResort")).toList());
      for (Map<String, Object> e : first.subList(0, 2)) {
        KeyPackage kp = (KeyPackage) MlsMessage.fromBytes(Base64.getDecoder().decode((String) e.get("data"))).body();
        Bytes ref = KeyPackages.ref(Provider.C, kp);
        assertEquals(e.get("clientId"), com.ds.remoteClients().deviceOfKeyPackage(ref), "the hub knows whose KeyPackage it is");
        assertEquals("example.org", com.ds.remoteClients().device((String) e.get("clientId")).provider());
        assertEquals(kp.leafNode().signatureKey(), com.ds.remoteClients().device((String) e.get("clientId")).signatureKey());
      }
      // The one-time KeyPackages are gone at example.org: the next claim gets the last-resort ones.
      List<Map<String, Object>> second = claimed(alice.ds().call("POST", "/ds/key-packages/claim",
          Map.of("userId", "bob@example.org", "cipherSuite", 1)));
      assertEquals(List.of(true, true), second.stream().map(e -> e.get("lastResort")).toList());

      // A user of a domain no one federates with.
      DsClient.Response unknown = alice.ds().call("POST", "/ds/key-packages/claim", Map.of("userIds", List.of("dan@example.net")));
      assertEquals(404, unknown.status());
      assertEquals("fed.unknown-domain", unknown.json().get("error"));

      // example.org down: said as such, not as an empty answer.
      org.stop();
      DsClient.Response down = alice.ds().call("POST", "/ds/key-packages/claim", Map.of("userIds", List.of("bob@example.org")));
      assertEquals(503, down.status());
      assertEquals("fed.peer-unavailable", down.json().get("error"));
    }
  }

  private static HttpResponse<String> post(Provider to, String path, Map<String, String> headers, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(to.url() + path)).POST(HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json");
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Map<String, String> signedBy(Provider from, Provider to, String path, String body, long ts) throws Exception {
    return Map.of(ProviderRequest.FROM, from.domain, ProviderRequest.TIMESTAMP, Long.toString(ts), ProviderRequest.SIGNATURE,
        ProviderRequest.sign(from.as.providerIdentity().privateKey(), "POST", path, ts, from.domain, to.domain,
            body.getBytes(StandardCharsets.UTF_8)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite"})
  void providerRequests_refusedUnlessSignedFreshOnceAndAboutItsOwnUsers(String db) throws Exception {
    try (Provider com = Provider.create("example.com", db); Provider org = Provider.create("example.org", db);
        Provider net = Provider.create("example.net", db)) {
      com.start(org);
      org.start(com);
      net.start(org);
      org.device("bob@example.org", "phone", 3);
      String path = "/fed/key-packages/claim";
      String body = "{\"userIds\":[\"bob@example.org\"]}";

      HttpResponse<String> unsigned = post(org, path, Map.of(), body);
      assertEquals(401, unsigned.statusCode());
      assertTrue(unsigned.body().contains("fed.provider-unauthenticated"), unsigned.body());

      long ts = System.currentTimeMillis();
      Map<String, String> good = signedBy(com, org, path, body, ts);
      assertEquals(200, post(org, path, good, body).statusCode());
      HttpResponse<String> replay = post(org, path, good, body);
      assertEquals(401, replay.statusCode(), "a signed request is used once");
      assertTrue(replay.body().contains("already used"), replay.body());

      // Signed by example.com's key but for another body, or for another provider, or by a provider org does not know.
      assertEquals(401, post(org, path, signedBy(com, org, path, "{\"userIds\":[]}", ts + 1), body).statusCode());
      assertEquals(401, post(org, path, signedBy(com, net, path, body, ts + 2), body).statusCode());
      HttpResponse<String> stranger = post(org, path, signedBy(net, org, path, body, ts + 3), body);
      assertEquals(401, stranger.statusCode(), "example.org does not federate with example.net");
      // example.com pretending to be example.net: the signature is checked with example.net's key (unknown here).
      Map<String, String> posing = new java.util.HashMap<>(signedBy(com, org, path, body, ts + 4));
      posing.put(ProviderRequest.FROM, "example.net");
      assertEquals(401, post(org, path, posing, body).statusCode());
      // Stale.
      assertEquals(401, post(org, path, signedBy(com, org, path, body, ts - 10 * 60_000), body).statusCode());

      // Authenticated, but asking example.org for a user of example.com.
      String foreign = "{\"userIds\":[\"alice@example.com\"]}";
      HttpResponse<String> r = post(org, path, signedBy(com, org, path, foreign, ts + 5), foreign);
      assertEquals(403, r.statusCode());
      assertTrue(r.body().contains("fed.foreign-user"), r.body());
      // Malformed bodies from an authenticated peer: 4xx with a rule, never a 5xx.
      for (String bad : new String[] {"", "[]", "{\"userIds\":\"bob@example.org\"}", "{\"userIds\":[1]}", "nonsense"}) {
        HttpResponse<String> b = post(org, path, signedBy(com, org, path, bad, ts + 6 + bad.length()), bad);
        assertTrue(b.statusCode() >= 400 && b.statusCode() < 500, bad + " -> " + b.statusCode() + " " + b.body());
        assertTrue(b.body().contains("\"error\""), b.body());
      }
      // A relay for a device of another domain than the relaying provider's: refused before anything is read.
      String relay = "/fed/relay/messages?sender=bob%40example.org%2Fphone";
      HttpResponse<String> forged = post(org, relay, signedBy(com, org, relay, "x", ts + 20), "x");
      assertEquals(403, forged.statusCode(), forged.body());
      assertTrue(forged.body().contains("fed.forged-sender"), forged.body());
      String notify = "/fed/notify";
      // A delivery's signature is used once too (remembered by the node, as reads are: a replayed delivery stores nothing new).
      Map<String, String> empty = signedBy(com, org, notify, "{\"entries\": []}", ts + 29);
      assertEquals(200, post(org, notify, empty, "{\"entries\": []}").statusCode());
      HttpResponse<String> again = post(org, notify, empty, "{\"entries\": []}");
      assertEquals(401, again.statusCode(), again.body());
      assertTrue(again.body().contains("already used"), again.body());
      long stored = org.ds.groups().storedMessages();
      for (String bad : new String[] {"{}", "{\"entries\":[{\"seq\":1}]}", "{\"entries\":[{\"seq\":2,\"groupId\":\"zz\",\"kind\":\"WELCOME\","
          + "\"message\":\"AA==\",\"readers\":[]}]}", "{\"entries\":[{\"seq\":3,\"groupId\":\"0102\",\"kind\":\"APPLICATION\","
          + "\"message\":\"AA==\",\"readers\":[\"bob@example.org/phone\"]},{\"seq\":3,\"groupId\":\"0102\",\"kind\":\"APPLICATION\","
          + "\"message\":\"AA==\",\"readers\":[\"bob@example.org/phone\"]}]}"}) {
        HttpResponse<String> b = post(org, notify, signedBy(com, org, notify, bad, ts + 30 + bad.length()), bad);
        assertEquals(400, b.statusCode(), bad + " -> " + b.body());
      }
      assertEquals(stored, org.ds.groups().storedMessages(), "a refused delivery stores nothing");
      assertEquals(null, org.ds.groups().federated().hubOf(Bytes.fromHex("0102")), "nor learns of a group from it");
      assertNotNull(com.as.providerIdentity().certificate());
    }
  }

  /** A KeyPackage of {@code user}/{@code device} certified by {@code p}'s AS, as an MLSMessage in base64. */
  private static String keyPackage(Provider p, String user, String device) throws Exception {
    org.jmls.crypto.KeyPair key = Provider.C.generateSignatureKeyPair();
    long ts = System.currentTimeMillis();
    Bytes proof = Provider.C.signWithLabel(key.privateKey(), org.jmls.as.AuthenticationService.ENROL_LABEL,
        org.jmls.as.AuthenticationService.enrolTbs(user, device, 1, key.publicKey(), ts));
    org.jmls.as.AuthenticationService.Issued issued = p.as.enrol(new org.jmls.as.AuthenticationService.Enrolment(user, device, 1,
        key.publicKey(), ts, proof, null, true));
    long now = ts / 1000;
    return Base64.getEncoder().encodeToString(MlsMessage.of(KeyPackages.create(Provider.C, issued.credential(), key,
        KeyPackages.defaultCapabilities(Provider.SUITE), new org.jmls.message.Lifetime(now - 60, now + 86400), List.of(), List.of())
        .keyPackage()).toByteArray());
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite"})
  void lyingPeer_answerRefusedWhole_nothingRecorded(String db) throws Exception {
    try (Provider com = Provider.create("example.com", db); Provider org = Provider.create("example.org", db);
        Provider net = Provider.create("example.net", db)) {
      com.start(org);
      Provider.Device alice = com.device("alice@example.com", "phone", 1);
      net.as.domain(null); // a rogue AS that certifies anyone
      // example.org's provider (its real key and certificate) answers claims with what it likes.
      String[][] lies = {
          {"bob@example.org", "bob@example.org/phone", keyPackage(org, "mallory@example.org", "phone")}, // another user's KeyPackage
          {"bob@example.org", "bob@example.org/phone", keyPackage(org, "bob@example.org", "tablet")}, // another device's
          {"bob@example.org", "bob@example.org/phone", keyPackage(net, "bob@example.org", "phone")}, // certified by another provider
          {"mallory@example.org", "mallory@example.org/phone", keyPackage(org, "mallory@example.org", "phone")}, // not asked for
          {"bob@example.org", "bob@example.org/phone", "AAEC"}}; // not a KeyPackage
      for (String[] lie : lies) {
        io.javalin.Javalin liar = io.javalin.Javalin.create().start("127.0.0.1", org.port);
        try {
          liar.get("/fed/provider", ctx -> ctx.result(org.as.providerIdentity().certificate().getEncoded()));
          liar.get("/as/status/{serial}", ctx -> ctx.json(Map.of("serial", ctx.pathParam("serial"), "revoked", false)));
          liar.post("/fed/key-packages/claim", ctx -> ctx.json(Map.of("keyPackages",
              List.of(Map.of("userId", lie[0], "clientId", lie[1], "data", lie[2], "lastResort", false)))));
          DsClient.Response r = alice.ds().call("POST", "/ds/key-packages/claim", Map.of("userIds", List.of("bob@example.org")));
          assertEquals(502, r.status(), () -> lie[1] + ": " + r.json());
          assertEquals("fed.peer-answer", r.json().get("error"));
          assertEquals(null, com.ds.remoteClients().device(lie[1]), "nothing recorded from a refused answer");
        } finally {
          liar.stop();
        }
      }
    }
  }
}
