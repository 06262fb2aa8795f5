package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.crypto.CipherSuite;
import org.jmls.server.JmlsServer;
import org.junit.jupiter.api.Test;

/** The time-based policy: members refresh their keys on schedule; admins remove devices that went stale. */
class GroupPolicyTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

  @Test
  void selfUpdateInterval_andStaleMemberRemoval() throws Exception {
    try (JmlsServer s = JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.BOTH, Files.createTempDirectory("jmls-policy"), "127.0.0.1", 0,
        null, null, null, "adm", false, 86400))) {
      String base = "http://127.0.0.1:" + s.port();
      MlsClient alice = new MlsClient(base, "alice@example.com", "a", SUITE);
      MlsClient bob = new MlsClient(base, "bob@example.com", "b", SUITE);
      alice.enrol("adm", null, 2);
      bob.enrol("adm", null, 2);
      Instant t0 = Instant.now();
      alice.clock(Clock.fixed(t0, ZoneOffset.UTC));
      GroupPolicy d = GroupPolicy.defaults("alice@example.com");
      GroupPolicy policy = new GroupPolicy(d.allowedSuites(), List.of("alice@example.com"), true, 1000, 5, 86400, 100, 250);
      Bytes g = alice.createGroup("p", policy);
      alice.addUser(g, "bob@example.com");
      bob.sync();
      assertEquals(List.of(), alice.maintain(), "nothing due yet");

      alice.clock(Clock.fixed(t0.plus(Duration.ofSeconds(150)), ZoneOffset.UTC));
      List<String> first = alice.maintain();
      assertEquals(1, first.size(), first.toString());
      assertTrue(first.get(0).startsWith("updated own keys"));
      bob.sync();
      assertEquals(alice.epochAuthenticator(g), bob.epochAuthenticator(g));

      // Bob never refreshes: after the staleness limit, the admin removes his device.
      alice.clock(Clock.fixed(t0.plus(Duration.ofSeconds(300)), ZoneOffset.UTC));
      List<String> second = alice.maintain();
      assertTrue(second.stream().anyMatch(a -> a.startsWith("removed 1 stale device")), second.toString());
      assertEquals(List.of("alice@example.com/a"), alice.members(g));
      bob.sync();
      assertTrue(!bob.inGroup(g));
    }
  }
}
