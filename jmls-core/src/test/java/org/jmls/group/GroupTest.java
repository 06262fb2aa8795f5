package org.jmls.group;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.message.Credential;
import org.jmls.message.Lifetime;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.message.PublicMessage;
import org.jmls.message.Welcome;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class GroupTest {
  private static final GroupServices S = GroupServices.development();

  static KeyPackageBundle member(CipherSuite suite, String name) throws Exception {
    MlsCrypto c = S.provider().suite(suite);
    KeyPair sig = c.generateSignatureKeyPair();
    long now = S.clock().instant().getEpochSecond();
    return KeyPackages.create(c, new Credential.Basic(Bytes.wrap(name.getBytes())), sig, KeyPackages.defaultCapabilities(suite),
        new Lifetime(now - 3600, now + 86400), List.of(), List.of());
  }

  private static Group join(GroupConfig config, MlsMessage welcome, KeyPackageBundle kp) throws Exception {
    return Group.join(S, config, (Welcome) welcome.body(), kp, null);
  }

  private static String text(Group.Processed p) {
    return new String(((Group.ApplicationMessage) p).data().toByteArray());
  }

  /**
   * Every suite jmls knows, the aliased ones with their alias enabled for the test: the RFC's
   * seven, the PQ draft's eleven, OpenMLS's X-Wing suite and ts-mls's twelve.
   */
  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void threeMembers_addTalkUpdateRemove_agreeOnEveryEpoch(CipherSuite suite) throws Exception {
    org.jmls.crypto.SuiteAliases.enable(suite.alias() == null ? java.util.Set.of() : java.util.EnumSet.of(suite.alias()));
    try {
      threeMembers(suite);
    } finally {
      org.jmls.crypto.SuiteAliases.enable(java.util.Set.of());
    }
  }

  private void threeMembers(CipherSuite suite) throws Exception {
    for (boolean encrypted : new boolean[] {false, true}) {
      GroupConfig config = GroupConfig.defaults().withEncryptedHandshakes(encrypted).withPaddingBlock(encrypted ? 32 : 0);
      KeyPackageBundle a = member(suite, "alice");
      Group alice = Group.create(S, config, Bytes.wrap(new byte[] {7}), a, List.of());
      KeyPackageBundle b = member(suite, "bob");
      Group.CommitResult addBob = alice.commit(List.of(new Proposal.Add(b.keyPackage())), false);
      alice.mergePendingCommit();
      Group bob = join(config, addBob.welcome(), b);
      assertEquals(alice.epochAuthenticator(), bob.epochAuthenticator());

      // Bob adds Carol with a path (forced), Alice processes.
      KeyPackageBundle cKp = member(suite, "carol");
      Group.CommitResult addCarol = bob.commit(List.of(new Proposal.Add(cKp.keyPackage())), true);
      Group.StagedCommit staged = (Group.StagedCommit) alice.process(addCarol.commit());
      assertEquals(List.of(2), staged.addedLeaves());
      alice.merge(staged);
      bob.mergePendingCommit();
      Group carol = join(config, addCarol.welcome(), cKp);
      assertEquals(alice.epochAuthenticator(), bob.epochAuthenticator());
      assertEquals(alice.epochAuthenticator(), carol.epochAuthenticator());

      // Everyone talks.
      MlsMessage hi = carol.encrypt("hi from carol".getBytes(), new byte[] {1});
      assertEquals("hi from carol", text(alice.process(hi)));
      assertEquals("hi from carol", text(bob.process(hi)));

      // Alice proposes an update, Carol commits it by reference.
      MlsMessage upd = alice.proposeUpdate();
      bob.process(upd);
      carol.process(upd);
      Group.CommitResult c3 = carol.commit(List.of(), false);
      alice.merge((Group.StagedCommit) alice.process(c3.commit()));
      bob.merge((Group.StagedCommit) bob.process(c3.commit()));
      carol.mergePendingCommit();
      assertEquals(alice.epochAuthenticator(), carol.epochAuthenticator());
      assertEquals(bob.epochAuthenticator(), carol.epochAuthenticator());
      MlsMessage afterUpdate = alice.encrypt("still here".getBytes(), new byte[0]);
      assertEquals("still here", text(carol.process(afterUpdate)));

      // Alice removes Bob.
      Group.CommitResult rm = alice.commit(List.of(new Proposal.Remove(1)), false);
      Group.StagedCommit bobSees = (Group.StagedCommit) bob.process(rm.commit());
      assertTrue(bobSees.removesMe());
      bob.merge(bobSees);
      assertFalse(bob.isActive());
      carol.merge((Group.StagedCommit) carol.process(rm.commit()));
      alice.mergePendingCommit();
      assertEquals(alice.epochAuthenticator(), carol.epochAuthenticator());
      assertEquals(2, alice.members().size());
      assertEquals(4, alice.epoch());

      // A resumption PSK of this epoch (nonce of KDF.Nh bytes) goes into the next; the exporter agrees.
      org.jmls.message.PreSharedKeyId psk = org.jmls.message.PreSharedKeyId.resumption(
          org.jmls.message.ResumptionPskUsage.APPLICATION, alice.groupId(), alice.epoch(),
          Bytes.wrap(alice.crypto().randomBytes(alice.crypto().hashLength())));
      Group.CommitResult withPsk = alice.commit(List.of(new Proposal.PreSharedKey(psk)), false);
      carol.merge((Group.StagedCommit) carol.process(withPsk.commit()));
      alice.mergePendingCommit();
      assertEquals(alice.epochAuthenticator(), carol.epochAuthenticator());
      assertArrayEquals(alice.export("jmls test", new byte[] {1}, 32), carol.export("jmls test", new byte[] {1}, 32));
    }
  }

  @Test
  void lateApplicationMessage_fromPreviousEpoch_decrypts() throws Exception {
    CipherSuite suite = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
    KeyPackageBundle a = member(suite, "alice");
    KeyPackageBundle b = member(suite, "bob");
    Group alice = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {1}), a, List.of());
    Group.CommitResult r = alice.commit(List.of(new Proposal.Add(b.keyPackage())), false);
    alice.mergePendingCommit();
    Group bob = join(GroupConfig.defaults(), r.welcome(), b);
    MlsMessage late = bob.encrypt("sent before the commit".getBytes(), new byte[0]);
    Group.CommitResult empty = alice.commit(List.of(), false);
    alice.mergePendingCommit();
    bob.merge((Group.StagedCommit) bob.process(empty.commit()));
    assertEquals("sent before the commit", text(alice.process(late)));
  }

  /**
   * RFC 9420 lets each member choose the wire format of its handshakes. By default a member accepts
   * both, whatever it sends itself; with {@code requireHandshakeWireFormat} it refuses the other one
   * (policy.handshake-wire-format), and its state is unchanged.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void handshakeWireFormat_otherFormatAcceptedByDefault_refusedWhenRequired(boolean aliceEncrypts) throws Exception {
    CipherSuite suite = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
    KeyPackageBundle a = member(suite, "alice");
    KeyPackageBundle b = member(suite, "bob");
    KeyPackageBundle c = member(suite, "carol");
    GroupConfig aliceConfig = GroupConfig.defaults().withEncryptedHandshakes(aliceEncrypts);
    GroupConfig othersConfig = GroupConfig.defaults().withEncryptedHandshakes(!aliceEncrypts);
    Group alice = Group.create(S, aliceConfig, Bytes.wrap(new byte[] {3}), a, List.of());
    Group.CommitResult r = alice.commit(List.of(new Proposal.Add(b.keyPackage()), new Proposal.Add(c.keyPackage())), false);
    alice.mergePendingCommit();
    Group bob = join(othersConfig, r.welcome(), b);
    Group carol = join(othersConfig.withRequiredHandshakeWireFormat(true), r.welcome(), c);

    Group.CommitResult update = alice.commit(List.of(), true);
    assertEquals(aliceEncrypts ? org.jmls.message.WireFormat.MLS_PRIVATE_MESSAGE : org.jmls.message.WireFormat.MLS_PUBLIC_MESSAGE,
        update.commit().wireFormat());
    alice.mergePendingCommit();
    bob.merge((Group.StagedCommit) bob.process(update.commit()));
    assertEquals(alice.epochAuthenticator(), bob.epochAuthenticator(), "the default accepts the other wire format");

    byte[] before = carol.save();
    ValidationException e = assertThrows(ValidationException.class, () -> carol.process(update.commit()));
    assertEquals("policy.handshake-wire-format", e.ruleId());
    assertArrayEquals(before, carol.save(), "a refusal leaves the state as it was");
    // The setting survives a save and load.
    assertTrue(Group.load(S, carol.save()).config().requireHandshakeWireFormat());
    assertFalse(Group.load(S, bob.save()).config().requireHandshakeWireFormat());
  }

  /** A group of two with a commit from Bob that Alice has not processed yet. */
  private static Object[] twoMembersAndCommit() throws Exception {
    CipherSuite suite = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
    KeyPackageBundle a = member(suite, "alice");
    KeyPackageBundle b = member(suite, "bob");
    Group alice = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {2}), a, List.of());
    Group.CommitResult r = alice.commit(List.of(new Proposal.Add(b.keyPackage())), false);
    alice.mergePendingCommit();
    Group bob = join(GroupConfig.defaults(), r.welcome(), b);
    Group.CommitResult c = bob.commit(List.of(), false);
    return new Object[] {alice, bob, c.commit()};
  }

  @ParameterizedTest
  @ValueSource(strings = {"signature", "membership", "confirmation", "epoch"})
  void tamperedCommit_refusedWithRule_stateUnchanged(String what) throws Exception {
    Object[] t = twoMembersAndCommit();
    Group alice = (Group) t[0];
    Group bob = (Group) t[1];
    MlsMessage commit = (MlsMessage) t[2];
    PublicMessage pm = (PublicMessage) commit.body();
    Bytes epochAuth = alice.epochAuthenticator();
    long epoch = alice.epoch();
    PublicMessage bad;
    String rule;
    switch (what) {
      case "signature":
        bad = new PublicMessage(pm.content(), new org.jmls.message.FramedContentAuthData(flip(pm.auth().signature()),
            pm.auth().confirmationTag()), pm.membershipTag());
        rule = "rfc9420-6.1.signature";
        break;
      case "membership":
        bad = new PublicMessage(pm.content(), pm.auth(), flip(pm.membershipTag()));
        rule = "rfc9420-6.2.membership-tag";
        break;
      case "confirmation":
        bad = new PublicMessage(pm.content(), new org.jmls.message.FramedContentAuthData(pm.auth().signature(),
            flip(pm.auth().confirmationTag())), pm.membershipTag());
        rule = "rfc9420-12.4.2.confirmation-tag";
        break;
      default:
        var fc = pm.content();
        bad = new PublicMessage(new org.jmls.message.FramedContent(fc.groupId(), fc.epoch() + 1, fc.sender(),
            fc.authenticatedData(), fc.content()), pm.auth(), pm.membershipTag());
        rule = "rfc9420-12.4.2.epoch";
    }
    if (!what.equals("membership")) {
      // Re-tag as the sender would, so the check under test is reached past the membership tag.
      bad = org.jmls.framing.Framing.toPublic(bob.crypto(), bad.authenticatedContent(), alice.context(),
          bob.secretsForTesting().membershipKey());
    }
    PublicMessage forged = bad;
    ValidationException e = assertThrows(ValidationException.class, () -> alice.process(MlsMessage.of(forged)));
    assertEquals(rule, e.ruleId());
    assertEquals(epoch, alice.epoch());
    assertEquals(epochAuth, alice.epochAuthenticator());
    // The genuine commit still applies afterwards.
    alice.merge((Group.StagedCommit) alice.process(commit));
    assertEquals(epoch + 1, alice.epoch());
  }

  private static Bytes flip(Bytes b) {
    byte[] x = b.toByteArray();
    x[x.length - 1] ^= 1;
    return Bytes.wrap(x);
  }

  @Test
  void commitProposalRules_refusedByCommitter() throws Exception {
    CipherSuite suite = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
    KeyPackageBundle a = member(suite, "alice");
    KeyPackageBundle b = member(suite, "bob");
    Group alice = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {3}), a, List.of());
    assertEquals("rfc9420-12.2.committer-removed",
        assertThrows(ValidationException.class, () -> alice.commit(List.of(new Proposal.Remove(0)), false)).ruleId());
    assertEquals("rfc9420-12.1.3.remove-blank",
        assertThrows(ValidationException.class, () -> alice.commit(List.of(new Proposal.Remove(5)), false)).ruleId());
    assertEquals("rfc9420-12.2.duplicate-add", assertThrows(ValidationException.class,
        () -> alice.commit(List.of(new Proposal.Add(b.keyPackage()), new Proposal.Add(b.keyPackage())), false)).ruleId());
    assertEquals("rfc9420-12.2.add-existing-member", assertThrows(ValidationException.class,
        () -> alice.commit(List.of(new Proposal.Add(a.keyPackage())), false)).ruleId());
    assertFalse(alice.hasPendingCommit());
    assertEquals(0, alice.epoch());
  }

  @Test
  void expiredKeyPackage_refused_rfc9420_7_3_lifetime() throws Exception {
    CipherSuite suite = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
    MlsCrypto c = S.provider().suite(suite);
    KeyPackageBundle a = member(suite, "alice");
    KeyPackageBundle old = KeyPackages.create(c, new Credential.Basic(Bytes.wrap("old".getBytes())), c.generateSignatureKeyPair(),
        KeyPackages.defaultCapabilities(suite), new Lifetime(1000, 2000), List.of(), List.of());
    Group alice = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {4}), a, List.of());
    assertEquals("rfc9420-7.3.lifetime", assertThrows(ValidationException.class,
        () -> alice.commit(List.of(new Proposal.Add(old.keyPackage())), false)).ruleId());
  }

  @Test
  void bulkAdd_manyMembersJoinFromOneWelcome() throws Exception {
    CipherSuite suite = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
    Group alice = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {5}), member(suite, "alice"), List.of());
    List<KeyPackageBundle> kps = new ArrayList<>();
    List<Proposal> adds = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      KeyPackageBundle kp = member(suite, "m" + i);
      kps.add(kp);
      adds.add(new Proposal.Add(kp.keyPackage()));
    }
    Group.CommitResult r = alice.commit(adds, true);
    alice.mergePendingCommit();
    assertNotNull(r.welcome());
    Group last = join(GroupConfig.defaults(), r.welcome(), kps.get(39));
    assertEquals(alice.epochAuthenticator(), last.epochAuthenticator());
    MlsMessage m = last.encrypt("x".getBytes(), new byte[0]);
    assertInstanceOf(Group.ApplicationMessage.class, alice.process(m));
  }
}
