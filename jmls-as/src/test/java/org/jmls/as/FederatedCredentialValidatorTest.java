package org.jmls.as;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.javalin.Javalin;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.DefaultCryptoProvider;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.message.Credential;
import org.jmls.service.Database;
import org.jmls.service.Databases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Credentials across two providers, each with its own AS (example.org's over real HTTP on
 * loopback): a credential is valid only under the root of the domain it names, peers' revocations
 * are honoured once the cached answer expires, and an unreachable peer AS makes the check fail.
 */
class FederatedCredentialValidatorTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final MlsCrypto C = DefaultCryptoProvider.instance().suite(SUITE);

  /** A clock the test moves. */
  private static final class TestClock extends Clock {
    volatile long millis = System.currentTimeMillis();

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }
  }

  private Database comDb;
  private Database orgDb;
  private Database netDb;
  private AuthenticationService com;
  private AuthenticationService org;
  private AuthenticationService net;
  private Javalin orgHttp;
  private final TestClock clock = new TestClock();

  @BeforeEach
  void providers() throws Exception {
    comDb = Databases.freshWith("sqlite", "db/as");
    orgDb = Databases.freshWith("sqlite", "db/as");
    netDb = Databases.freshWith("sqlite", "db/as");
    com = new AuthenticationService(comDb, DefaultCryptoProvider.instance(), Clock.systemUTC(), "example.com", 86400, false)
        .domain("example.com");
    org = new AuthenticationService(orgDb, DefaultCryptoProvider.instance(), Clock.systemUTC(), "example.org", 86400, false);
    net = new AuthenticationService(netDb, DefaultCryptoProvider.instance(), Clock.systemUTC(), "example.net", 86400, false);
    orgHttp = Javalin.create().start("127.0.0.1", 0);
    AsServer.install(orgHttp, org, "token");
  }

  @AfterEach
  void close() {
    orgHttp.stop();
    comDb.close();
    orgDb.close();
    netDb.close();
  }

  private FederatedCredentialValidator validator(Duration ttl) {
    return new FederatedCredentialValidator("example.com", com.validator(false), Map.of("example.org",
        new FederatedCredentialValidator.PeerAuthority(org.root(), new RemoteRevocations(
            URI.create("http://127.0.0.1:" + orgHttp.port()), "the AS of example.org", ttl, clock))), clock);
  }

  private record Device(Credential credential, Bytes key, String serial) {}

  private static Device enrol(AuthenticationService as, String user) throws Exception {
    KeyPair key = C.generateSignatureKeyPair();
    long ts = System.currentTimeMillis();
    Bytes proof = C.signWithLabel(key.privateKey(), AuthenticationService.ENROL_LABEL,
        AuthenticationService.enrolTbs(user, "phone", SUITE.id(), key.publicKey(), ts));
    AuthenticationService.Issued issued = as.enrol(new AuthenticationService.Enrolment(user, "phone", SUITE.id(), key.publicKey(), ts,
        proof, null, true));
    return new Device(issued.credential(), key.publicKey(), issued.serial());
  }

  private static String refused(FederatedCredentialValidator v, Device d) {
    return assertThrows(ValidationException.class, () -> v.validate(d.credential(), d.key())).ruleId();
  }

  @Test
  void eachDomainsCredentials_validUnderItsOwnRootOnly() throws Exception {
    FederatedCredentialValidator v = validator(Duration.ofMinutes(1));
    Device alice = enrol(com, "alice@example.com");
    Device bob = enrol(org, "bob@example.org");
    v.validate(alice.credential(), alice.key());
    v.validate(bob.credential(), bob.key());
    assertEquals("as.key-mismatch", assertThrows(ValidationException.class, () -> v.validate(bob.credential(), alice.key())).ruleId());

    // example.org's root certifying a user of example.com does not make it valid: example.com's root decides.
    assertEquals("as.chain", refused(v, enrol(org, "mallory@example.com")));
    // A domain this provider does not federate with, whoever issued the credential.
    Device carol = enrol(net, "carol@example.net");
    ValidationException unknown = assertThrows(ValidationException.class, () -> v.validate(carol.credential(), carol.key()));
    assertEquals("fed.unknown-domain", unknown.ruleId());
    assertEquals(true, unknown.getMessage().contains("example.net"), unknown.getMessage());
    assertEquals("fed.unknown-domain", refused(v, enrol(org, "eve@example.net")));
    assertEquals(java.util.Set.of("example.com", "example.org"), v.domains());
  }

  @Test
  void restrictedAs_issuesForItsOwnDomainOnly() throws Exception {
    assertEquals("as.foreign-domain", assertThrows(ValidationException.class, () -> enrol(com, "bob@example.org")).ruleId());
    assertEquals("as.foreign-domain", assertThrows(ValidationException.class,
        () -> com.createInvite("bob@example.org", 60, "admin")).ruleId());
    enrol(com, "alice@example.com");
  }

  @Test
  void peerRevocation_honouredWhenTheCachedAnswerExpires() throws Exception {
    FederatedCredentialValidator v = validator(Duration.ofSeconds(60));
    Device bob = enrol(org, "bob@example.org");
    v.validate(bob.credential(), bob.key());
    org.revoke(bob.serial(), "admin");
    v.validate(bob.credential(), bob.key()); // the peer's "not revoked" holds for its 60 s
    clock.millis += 61_000;
    assertEquals("as.revoked", refused(v, bob));
    orgHttp.stop();
    assertEquals("as.revoked", refused(v, bob)); // final, remembered
  }

  @Test
  void unreachablePeerAs_refusesWithoutAFreshAnswer() throws Exception {
    FederatedCredentialValidator v = validator(Duration.ofSeconds(60));
    Device bob = enrol(org, "bob@example.org");
    Device bob2 = enrol(org, "bob@example.org");
    v.validate(bob.credential(), bob.key());
    orgHttp.stop();
    v.validate(bob.credential(), bob.key()); // fresh answer
    assertEquals("as.revocation-unavailable", refused(v, bob2));
    clock.millis += 61_000;
    assertEquals("as.revocation-unavailable", refused(v, bob));
  }
}
