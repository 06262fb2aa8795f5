package org.jmls.as;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.DefaultCryptoProvider;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.KeyPackages;
import org.jmls.message.Credential;
import org.jmls.message.Lifetime;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;
import org.jmls.service.Database;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The AS on both databases: enrolment, credential validation, revocation, audit; credentials used in a group. */
class AuthenticationServiceTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final MlsCrypto C = DefaultCryptoProvider.instance().suite(SUITE);

  static Database fresh(String kind) throws Exception {
    return org.jmls.service.Databases.freshWith(kind, "db/as");
  }

  private static AuthenticationService.Enrolment request(String user, String device, KeyPair key, String invite, boolean operator)
      throws Exception {
    long ts = System.currentTimeMillis();
    Bytes proof = C.signWithLabel(key.privateKey(), AuthenticationService.ENROL_LABEL,
        AuthenticationService.enrolTbs(user, device, SUITE.id(), key.publicKey(), ts));
    return new AuthenticationService.Enrolment(user, device, SUITE.id(), key.publicKey(), ts, proof, invite, operator);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void enrol_validate_revoke_audit(String db) throws Exception {
    try (Database d = fresh(db)) {
      AuthenticationService as = new AuthenticationService(d, DefaultCryptoProvider.instance(), Clock.systemUTC(), "example.com",
          86400, false);
      Bytes rootBefore = Bytes.wrap(as.root().getEncoded());
      assertEquals(rootBefore, Bytes.wrap(new AuthenticationService(d, DefaultCryptoProvider.instance(), Clock.systemUTC(),
          "example.com", 86400, false).root().getEncoded()), "the root is generated once and loaded after");

      KeyPair alice = C.generateSignatureKeyPair();
      assertEquals("as.unauthorized", assertThrows(ValidationException.class,
          () -> as.enrol(request("alice@example.com", "phone", alice, null, false))).ruleId());
      String invite = as.createInvite("alice@example.com", 3600, "admin");
      KeyPair other = C.generateSignatureKeyPair();
      AuthenticationService.Enrolment forged = request("alice@example.com", "phone", other, invite, false);
      AuthenticationService.Enrolment wrongKey = new AuthenticationService.Enrolment(forged.user(), forged.device(), SUITE.id(),
          alice.publicKey(), forged.timestampMillis(), forged.proof(), invite, false);
      assertEquals("as.proof-of-possession", assertThrows(ValidationException.class, () -> as.enrol(wrongKey)).ruleId());

      AuthenticationService.Issued issued = as.enrol(request("alice@example.com", "phone", alice, invite, false));
      assertEquals("as.unauthorized", assertThrows(ValidationException.class,
          () -> as.enrol(request("alice@example.com", "laptop", C.generateSignatureKeyPair(), invite, false))).ruleId(),
          "an invite code is single-use");

      X509CredentialValidator v = as.validator(false);
      v.validate(issued.credential(), alice.publicKey());
      v.expectUser(issued.credential(), "alice@example.com");
      assertEquals("alice@example.com", X509Credentials.user(issued.credential()));
      assertEquals("alice@example.com/phone", X509Credentials.client(issued.credential()));
      assertEquals("as.key-mismatch", assertThrows(ValidationException.class, () -> v.validate(issued.credential(), other.publicKey())).ruleId());
      assertEquals("as.basic-credential", assertThrows(ValidationException.class,
          () -> v.validate(new Credential.Basic(Bytes.wrap("alice@example.com".getBytes())), alice.publicKey())).ruleId());

      AuthenticationService.Issued laptop = as.enrol(request("alice@example.com", "laptop", other, null, true));
      assertTrue(X509Credentials.sameUser(issued.credential(), laptop.credential()));
      assertFalse(X509Credentials.sameClient(issued.credential(), laptop.credential()));

      as.revoke(issued.serial(), "admin");
      assertEquals("as.revoked", assertThrows(ValidationException.class, () -> v.validate(issued.credential(), alice.publicKey())).ruleId());
      assertTrue(as.revocationList().serials().contains(issued.serial()));
      List<String> audit = as.audit();
      assertTrue(audit.stream().anyMatch(l -> l.contains("issued serial=" + issued.serial())), audit.toString());
      assertTrue(audit.stream().anyMatch(l -> l.contains("revoked serial=" + issued.serial())), audit.toString());
    }
  }

  /**
   * An ML-DSA key (suite MLS_192_MLKEM768_AES256GCM_SHA384_MLDSA65) is certified like any other:
   * the certificate carries it under RFC 9881's id-ml-dsa-65, a standard X.509 parser reads it back
   * as an ML-DSA-65 key, and the credential validates against it and not against another key.
   */
  @org.junit.jupiter.api.Test
  void mlDsaKey_certifiedUnderTheMlDsaOid() throws Exception {
    CipherSuite pq = CipherSuite.MLS_192_MLKEM768_AES256GCM_SHA384_MLDSA65;
    MlsCrypto c = DefaultCryptoProvider.instance().suite(pq);
    try (Database d = fresh("sqlite")) {
      AuthenticationService as = new AuthenticationService(d, DefaultCryptoProvider.instance(), Clock.systemUTC(), "example.com",
          86400, false);
      KeyPair key = c.generateSignatureKeyPair();
      long ts = System.currentTimeMillis();
      Bytes proof = c.signWithLabel(key.privateKey(), AuthenticationService.ENROL_LABEL,
          AuthenticationService.enrolTbs("dana@example.com", "phone", pq.id(), key.publicKey(), ts));
      AuthenticationService.Issued issued = as.enrol(new AuthenticationService.Enrolment("dana@example.com", "phone", pq.id(),
          key.publicKey(), ts, proof, null, true));
      org.bouncycastle.cert.X509CertificateHolder leaf = X509Credentials.leaf(issued.credential());
      assertEquals(org.bouncycastle.asn1.nist.NISTObjectIdentifiers.id_ml_dsa_65,
          leaf.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm());
      java.security.PublicKey parsed = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter()
          .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider()).getCertificate(leaf).getPublicKey();
      assertEquals("ML-DSA-65", parsed.getAlgorithm());
      assertEquals(1952, key.publicKey().length());
      X509CredentialValidator v = as.validator(false);
      v.validate(issued.credential(), key.publicKey());
      assertEquals("as.key-mismatch", assertThrows(ValidationException.class,
          () -> v.validate(issued.credential(), c.generateSignatureKeyPair().publicKey())).ruleId());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void x509Credentials_inAGroup_revokedMemberCannotBeAdded(String db) throws Exception {
    try (Database d = fresh(db)) {
      AuthenticationService as = new AuthenticationService(d, DefaultCryptoProvider.instance(), Clock.systemUTC(), "example.com",
          86400, true);
      GroupServices services = GroupServices.development().withCredentials(as.validator(false));
      long now = System.currentTimeMillis() / 1000;
      KeyPackageBundle[] kps = new KeyPackageBundle[3];
      String[] serials = new String[3];
      String[] users = {"alice@example.com", "bob@example.com", "carol@example.com"};
      for (int i = 0; i < 3; i++) {
        KeyPair sig = C.generateSignatureKeyPair();
        AuthenticationService.Issued cred = as.enrol(request(users[i], "d1", sig, null, false));
        serials[i] = cred.serial();
        kps[i] = KeyPackages.create(C, cred.credential(), sig, KeyPackages.defaultCapabilities(SUITE),
            new Lifetime(now - 60, now + 3600), List.of(), List.of());
      }
      Group alice = Group.create(services, GroupConfig.defaults(), Bytes.wrap(new byte[] {4, 4}), kps[0], List.of());
      Group.CommitResult r = alice.commit(List.of(new Proposal.Add(kps[1].keyPackage())), false);
      alice.mergePendingCommit();
      Group bob = Group.join(services, GroupConfig.defaults(), (Welcome) r.welcome().body(), kps[1], null);
      assertEquals(alice.epochAuthenticator(), bob.epochAuthenticator());
      as.revoke(serials[2], "admin");
      assertEquals("as.revoked", assertThrows(ValidationException.class,
          () -> alice.commit(List.of(new Proposal.Add(kps[2].keyPackage())), false)).ruleId());
    }
  }
}
