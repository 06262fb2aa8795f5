package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jmls.Bytes;
import org.jmls.as.AsClient;
import org.jmls.ds.http.DsClient;
import org.jmls.ds.http.DsSession;
import org.jmls.server.JmlsServer;
import org.junit.jupiter.api.Test;

/**
 * A device whose credential is revoked loses the DS: its WebSocket session is closed (4403) within
 * the recheck interval and its signed requests are refused. A renewed credential reaches the DS
 * and keeps the device working.
 */
class RevocationTest {
  @Test
  void revokedDevice_sessionClosed_requestsRefused_renewedDeviceKeepsWorking() throws Exception {
    try (JmlsServer s = TestServers.start(Files.createTempDirectory("jmls-revocation"))) {
      s.ds().credentialRecheck(Duration.ofMillis(200));
      MlsClient alice = TestServers.enrolled(s, "alice@example.com", "a");
      MlsClient bob = TestServers.enrolled(s, "bob@example.com", "b");
      Bytes g = alice.createGroup("r");
      alice.addUser(g, "bob@example.com");
      bob.sync();

      // Bob renews: the DS learns the new credential, and Bob goes on working.
      bob.renewCredential();
      alice.sync();
      alice.send(g, "after renewal");
      assertEquals("after renewal", bob.sync().get(0).text());

      DsClient aliceDs = alice.dsClient();
      DsSession session = aliceDs.openSession(p -> { });
      AsClient operator = new AsClient("http://127.0.0.1:" + s.port(), HttpClient.newHttpClient());
      assertEquals(200, operator.call("POST", "/as/revoke", Map.of("client", "alice@example.com/a"), s.adminToken()).status());

      String why = session.closed().get(20, TimeUnit.SECONDS);
      assertTrue(why.startsWith("4403"), why);
      DsClient.Response refused = aliceDs.call("GET", "/ds/queue", null);
      assertEquals(401, refused.status());
      assertTrue(String.valueOf(refused.json().get("message")).contains("revoked"), refused.json().toString());
      // Bob is not affected.
      assertEquals(200, bob.dsClient().call("GET", "/ds/queue", null).status());
    }
  }
}
