package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.schedule.OutOfOrderPolicy;
import org.jmls.server.JmlsServer;
import org.junit.jupiter.api.Test;

/** The time-based policy: members refresh their keys on schedule; admins remove devices that went stale. */
class GroupPolicyTest {
  @Test
  void selfUpdateInterval_andStaleMemberRemoval() throws Exception {
    try (JmlsServer s = TestServers.start(Files.createTempDirectory("jmls-policy"))) {
      MlsClient alice = TestServers.enrolled(s, "alice@example.com", "a");
      MlsClient bob = TestServers.enrolled(s, "bob@example.com", "b");
      Instant t0 = Instant.now();
      alice.clock(Clock.fixed(t0, ZoneOffset.UTC));
      GroupPolicy d = GroupPolicy.defaults("alice@example.com");
      GroupPolicy policy = new GroupPolicy(d.allowedSuites(), List.of("alice@example.com"), true, 1000, 5, 86400, 100, 250, false);
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

  @Test
  void outOfOrderLimitsReachEveryMember_andStaleKeyPackagesAreRefused() throws Exception {
    try (JmlsServer s = TestServers.start(Files.createTempDirectory("jmls-policy"))) {
      MlsClient alice = TestServers.enrolled(s, "alice@example.com", "a");
      MlsClient bob = TestServers.enrolled(s, "bob@example.com", "b");
      MlsClient carol = TestServers.enrolled(s, "carol@example.com", "c");
      GroupPolicy d = GroupPolicy.defaults("alice@example.com");
      GroupPolicy policy = new GroupPolicy(d.allowedSuites(), List.of("alice@example.com"), true, 200, 3, 3600, 86400, 30L * 86400, false);
      Bytes g = alice.createGroup("p", policy);
      alice.addUser(g, "bob@example.com");
      bob.sync();
      OutOfOrderPolicy expected = new OutOfOrderPolicy(200, 3);
      assertEquals(expected, alice.group(g).config().outOfOrder(), "creator");
      assertEquals(expected, bob.group(g).config().outOfOrder(), "joiner by Welcome");
      // The policy fixes the handshake wire format: every member refuses the other one.
      assertTrue(alice.group(g).config().requireHandshakeWireFormat() && bob.group(g).config().requireHandshakeWireFormat());
      assertTrue(!GroupPolicy.configFor(alice.group(g).context()).encryptHandshakes());

      // Two hours on, Carol's KeyPackages (made now) are older than the policy's one hour: refused,
      // and Alice's group is untouched.
      long epoch = alice.group(g).epoch();
      alice.clock(Clock.fixed(Instant.now().plus(Duration.ofHours(2)), ZoneOffset.UTC));
      MlsClient.ClientException e = assertThrows(MlsClient.ClientException.class, () -> alice.addUser(g, "carol@example.com"));
      assertTrue(e.getMessage().contains("older than this group's KeyPackage lifetime"), e.getMessage());
      assertEquals(epoch, alice.group(g).epoch());
      alice.clock(Clock.systemUTC());
      alice.addUser(g, "carol@example.com");
      carol.sync();
      bob.sync();
      assertEquals(alice.epochAuthenticator(g), carol.epochAuthenticator(g));
      assertEquals(alice.epochAuthenticator(g), bob.epochAuthenticator(g));
      assertEquals(expected, carol.group(g).config().outOfOrder());
    }
  }
}
