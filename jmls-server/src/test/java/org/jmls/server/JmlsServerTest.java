package org.jmls.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.Base64;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.as.AuthenticationService;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.DefaultCryptoProvider;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.ds.http.DsClient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Both services in one process on a random loopback port, driven over HTTP, on both databases. */
class JmlsServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final MlsCrypto C = DefaultCryptoProvider.instance().suite(SUITE);
  private final HttpClient http = HttpClient.newHttpClient();

  private JmlsServer start(String db) throws Exception {
    if (db.equals("sqlite")) {
      return JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.BOTH, Files.createTempDirectory("jmls-server"), "127.0.0.1", 0,
          null, null, null, null, false, 86400));
    }
    EmbeddedPostgres pg = org.jmls.service.Databases.postgres();
    String name = "srv" + System.nanoTime();
    try (var c = pg.getPostgresDatabase().getConnection(); var s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.BOTH, Files.createTempDirectory("jmls-server"), "127.0.0.1", 0,
        pg.getJdbcUrl("postgres", name), "postgres", "postgres", "secret-admin", false, 86400));
  }

  private HttpResponse<String> call(JmlsServer s, String method, String path, Object body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
        .header("Content-Type", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Map<?, ?> json(HttpResponse<String> r) throws Exception {
    return JSON.readValue(r.body(), Map.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void enrolWithTheAs_registerWithTheDs_revocationRefused(String db) throws Exception {
    try (JmlsServer s = start(db)) {
      assertEquals(200, call(s, "GET", "/health", null, null).statusCode());
      String openapi = call(s, "GET", "/openapi.json", null, null).body();
      for (String path : new String[] {"/as/enrol", "/as/revoke", "/ds/groups/commit", "/ds/queue", "/ds/ws", "/metrics"}) {
        assertTrue(openapi.contains("\"" + path + "\""), path);
      }
      assertEquals(403, call(s, "POST", "/as/invites", Map.of("user", "alice@example.com"), "wrong").statusCode());
      HttpResponse<String> inv = call(s, "POST", "/as/invites", Map.of("user", "alice@example.com"), s.adminToken());
      assertEquals(201, inv.statusCode(), inv.body());
      String code = (String) json(inv).get("code");

      KeyPair key = C.generateSignatureKeyPair();
      long ts = System.currentTimeMillis();
      Bytes proof = C.signWithLabel(key.privateKey(), "jmls AS enrolment",
          AuthenticationService.enrolTbs("alice@example.com", "phone", SUITE.id(), key.publicKey(), ts));
      Map<String, Object> enrol = Map.of("user", "alice@example.com", "device", "phone", "cipherSuite", 1,
          "signatureKey", Base64.getEncoder().encodeToString(key.publicKey().toByteArray()), "timestamp", ts,
          "proof", Base64.getEncoder().encodeToString(proof.toByteArray()), "inviteCode", code);
      HttpResponse<String> issued = call(s, "POST", "/as/enrol", enrol, null);
      assertEquals(201, issued.statusCode(), issued.body());
      assertEquals(403, call(s, "POST", "/as/enrol", enrol, null).statusCode(), "invite codes are single-use");
      String credential = (String) json(issued).get("credential");
      String serial = (String) json(issued).get("serial");

      DsClient ds = new DsClient("http://127.0.0.1:" + s.port(), "alice@example.com/phone", C, key.privateKey());
      Map<String, Object> reg = Map.of("clientId", "alice@example.com/phone", "userId", "alice@example.com",
          "signatureKey", Base64.getEncoder().encodeToString(key.publicKey().toByteArray()), "credential", credential, "cipherSuite", 1);
      assertEquals(201, ds.call("POST", "/ds/clients", reg).status());

      // A basic credential is not authenticated outside development mode.
      KeyPair mallory = C.generateSignatureKeyPair();
      DsClient m = new DsClient("http://127.0.0.1:" + s.port(), "mallory@example.com/x", C, mallory.privateKey());
      DsClient.Response basic = m.call("POST", "/ds/clients", Map.of("clientId", "mallory@example.com/x", "userId", "mallory@example.com",
          "signatureKey", Base64.getEncoder().encodeToString(mallory.publicKey().toByteArray()),
          "credential", Base64.getEncoder().encodeToString(new org.jmls.message.Credential.Basic(Bytes.wrap("mallory".getBytes())).toByteArray())));
      assertEquals(400, basic.status());
      assertEquals("as.basic-credential", basic.json().get("error"));

      // After revocation, the credential no longer registers anywhere.
      assertEquals(200, call(s, "POST", "/as/revoke", Map.of("serial", serial), s.adminToken()).statusCode());
      assertEquals(true, json(call(s, "GET", "/as/status/" + serial, null, null)).get("revoked"));
      DsClient again = new DsClient("http://127.0.0.1:" + s.port(), "alice@example.com/phone2", C, key.privateKey());
      DsClient.Response revoked = again.call("POST", "/ds/clients", Map.of("clientId", "alice@example.com/phone2", "userId", "alice@example.com",
          "signatureKey", Base64.getEncoder().encodeToString(key.publicKey().toByteArray()), "credential", credential, "cipherSuite", 1));
      assertEquals("as.revoked", revoked.json().get("error"));
      assertTrue(call(s, "GET", "/metrics", null, null).body().contains("jmls_http_requests_total"));
      assertTrue(call(s, "GET", "/as/audit", null, s.adminToken()).body().contains("revoked serial=" + serial));
    }
  }

  @org.junit.jupiter.api.Test
  void dsAlone_checksCredentialsWithTheRemoteAs() throws Exception {
    try (JmlsServer as = JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.AS, Files.createTempDirectory("jmls-as"), "127.0.0.1", 0,
        null, null, null, "adm", false, 86400));
        JmlsServer ds = JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.DS, Files.createTempDirectory("jmls-ds"), "127.0.0.1", 0,
            null, null, null, "adm", false, 86400, "http://127.0.0.1:" + as.port()))) {
      KeyPair key = C.generateSignatureKeyPair();
      long ts = System.currentTimeMillis();
      Bytes proof = C.signWithLabel(key.privateKey(), "jmls AS enrolment",
          AuthenticationService.enrolTbs("zoe@example.com", "p", SUITE.id(), key.publicKey(), ts));
      HttpResponse<String> issued = call(as, "POST", "/as/enrol", Map.of("user", "zoe@example.com", "device", "p", "cipherSuite", 1,
          "signatureKey", Base64.getEncoder().encodeToString(key.publicKey().toByteArray()), "timestamp", ts,
          "proof", Base64.getEncoder().encodeToString(proof.toByteArray())), "adm");
      assertEquals(201, issued.statusCode(), issued.body());
      DsClient client = new DsClient("http://127.0.0.1:" + ds.port(), "zoe@example.com/p", C, key.privateKey());
      Map<String, Object> reg = Map.of("clientId", "zoe@example.com/p", "userId", "zoe@example.com",
          "signatureKey", Base64.getEncoder().encodeToString(key.publicKey().toByteArray()), "credential", json(issued).get("credential"));
      assertEquals(201, client.call("POST", "/ds/clients", reg).status());
      assertEquals(200, call(as, "POST", "/as/revoke", Map.of("serial", json(issued).get("serial")), "adm").statusCode());
      DsClient other = new DsClient("http://127.0.0.1:" + ds.port(), "zoe@example.com/q", C, key.privateKey());
      Map<String, Object> reg2 = new java.util.HashMap<>(reg);
      reg2.put("clientId", "zoe@example.com/q");
      DsClient.Response refused = other.call("POST", "/ds/clients", reg2);
      assertEquals("as.revoked", refused.json().get("error"));
    }
  }
}
