package org.jmls.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.Secret;
import org.jmls.extension.RequiredCapabilities;
import org.jmls.framing.Framing;
import org.jmls.message.AuthenticatedContent;
import org.jmls.message.Commit;
import org.jmls.message.FramedContent;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.message.ProposalOrRef;
import org.jmls.message.Sender;
import org.jmls.message.Welcome;
import org.jmls.message.WireFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Commits crafted to break one rule each, sent by a real member (valid signature and membership
 * tag), so the rule under test is what refuses them. After every refusal the receiver's state is
 * unchanged and a genuine commit still applies.
 */
class GroupRejectionTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final GroupServices S = GroupServices.development();
  private Group alice;
  private Group bob;
  private Secret bobKey;
  private KeyPackageBundle carolKp;

  @BeforeEach
  void setUp() throws Exception {
    KeyPackageBundle a = GroupTest.member(SUITE, "alice");
    KeyPackageBundle b = GroupTest.member(SUITE, "bob");
    KeyPackageBundle c = GroupTest.member(SUITE, "carol");
    alice = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {5, 5}), a, List.of());
    Group.CommitResult r = alice.commit(List.of(new Proposal.Add(b.keyPackage()), new Proposal.Add(c.keyPackage())), false);
    alice.mergePendingCommit();
    bob = Group.join(S, GroupConfig.defaults(), (Welcome) r.welcome().body(), b, null);
    bobKey = b.signatureKey();
    carolKp = c;
  }

  /** A commit from Bob with exactly these proposals and no path, signed and tagged as Bob would. */
  private MlsMessage forge(List<ProposalOrRef> proposals, Bytes groupId) throws Exception {
    FramedContent fc = new FramedContent(groupId, bob.epoch(), Sender.member(bob.myLeafIndex()), Bytes.EMPTY,
        new Commit(proposals, null));
    AuthenticatedContent signed = Framing.sign(bob.crypto(), WireFormat.MLS_PUBLIC_MESSAGE, fc, bob.context(), bobKey,
        Bytes.wrap(new byte[32]));
    return MlsMessage.of(Framing.toPublic(bob.crypto(), signed, bob.context(), bob.secretsForTesting().membershipKey()));
  }

  private MlsMessage forge(Proposal... byValue) throws Exception {
    List<ProposalOrRef> l = new ArrayList<>();
    for (Proposal p : byValue) {
      l.add(ProposalOrRef.byValue(p));
    }
    return forge(l, bob.groupId());
  }

  private void assertRefused(String rule, MlsMessage m) throws Exception {
    long epoch = alice.epoch();
    Bytes auth = alice.epochAuthenticator();
    int proposals = alice.pendingProposals().size();
    ValidationException e = assertThrows(ValidationException.class, () -> alice.process(m));
    assertEquals(rule, e.ruleId(), e.getMessage());
    assertEquals(epoch, alice.epoch());
    assertEquals(auth, alice.epochAuthenticator());
    assertEquals(proposals, alice.pendingProposals().size());
    Group.CommitResult ok = bob.commit(List.of(), false);
    alice.merge((Group.StagedCommit) alice.process(ok.commit()));
    bob.mergePendingCommit();
    assertEquals(alice.epochAuthenticator(), bob.epochAuthenticator());
  }

  @Test
  void removeOfBlankLeaf_rfc9420_12_1_3() throws Exception {
    assertRefused("rfc9420-12.1.3.remove-blank", forge(new Proposal.Remove(3)));
  }

  @Test
  void removeOfCommitter_rfc9420_12_2() throws Exception {
    assertRefused("rfc9420-12.2.committer-removed", forge(new Proposal.Remove(1)));
  }

  @Test
  void updateFromCommitter_rfc9420_12_2() throws Exception {
    MlsMessage update = bob.proposeUpdate();
    Group.ProposalReceived pr = (Group.ProposalReceived) alice.process(update);
    assertRefused("rfc9420-12.2.committer-update", forge(List.of(ProposalOrRef.byReference(pr.ref())), bob.groupId()));
  }

  @Test
  void conflictingRemoves_rfc9420_12_2() throws Exception {
    assertRefused("rfc9420-12.2.conflicting-proposals", forge(new Proposal.Remove(2), new Proposal.Remove(2)));
  }

  @Test
  void pathMissingForRemove_rfc9420_12_4_2() throws Exception {
    assertRefused("rfc9420-12.4.2.path-required", forge(new Proposal.Remove(2)));
  }

  @Test
  void unsupportedRequiredCapability_rfc9420_12_1_7() throws Exception {
    Proposal gce = new Proposal.GroupContextExtensions(List.of(
        new RequiredCapabilities(List.of(0xff00), List.of(), List.of()).toExtension()));
    assertRefused("rfc9420-7.3.required-capabilities", forge(gce));
  }

  @Test
  void twoGroupContextExtensions_rfc9420_12_2() throws Exception {
    Proposal gce = new Proposal.GroupContextExtensions(List.of());
    assertRefused("rfc9420-12.2.multiple-gce", forge(gce, gce));
  }

  @Test
  void externalInitInRegularCommit_rfc9420_12_2() throws Exception {
    assertRefused("rfc9420-12.2.external-init", forge(new Proposal.ExternalInit(Bytes.wrap(new byte[32]))));
  }

  @Test
  void unknownProposalReference_rfc9420_12_4() throws Exception {
    assertRefused("rfc9420-12.4.unknown-proposal", forge(List.of(ProposalOrRef.byReference(Bytes.wrap(new byte[32]))), bob.groupId()));
  }

  @Test
  void commitForAnotherGroup_rfc9420_6() throws Exception {
    assertRefused("rfc9420-6.group-id", forge(List.of(), Bytes.wrap(new byte[] {1})));
  }

  @Test
  void replayedApplicationMessage_rfc9420_9_4() throws Exception {
    MlsMessage m = bob.encrypt("once".getBytes(), new byte[0]);
    alice.process(m);
    assertRefused("rfc9420-9.4.generation-consumed", m);
  }

  @Test
  void duplicateAdd_rfc9420_12_2() throws Exception {
    KeyPackageBundle d = GroupTest.member(SUITE, "dave");
    assertRefused("rfc9420-12.2.duplicate-add", forge(new Proposal.Add(d.keyPackage()), new Proposal.Add(d.keyPackage())));
  }

  @Test
  void addOfExistingMember_duplicateSignatureKey_rfc9420_12_2() throws Exception {
    assertRefused("rfc9420-12.2.add-existing-member", forge(new Proposal.Add(carolKp.keyPackage())));
  }

  @Test
  void addOfExpiredKeyPackage_rfc9420_7_3() throws Exception {
    org.jmls.crypto.MlsCrypto c = alice.crypto();
    KeyPackageBundle old = KeyPackages.create(c, new org.jmls.message.Credential.Basic(Bytes.wrap("old".getBytes())),
        c.generateSignatureKeyPair(), KeyPackages.defaultCapabilities(SUITE), new org.jmls.message.Lifetime(1000, 2000),
        List.of(), List.of());
    assertRefused("rfc9420-7.3.lifetime", forge(new Proposal.Add(old.keyPackage())));
  }

  @Test
  void addWithBadKeyPackageSignature_rfc9420_10_1() throws Exception {
    KeyPackageBundle d = GroupTest.member(SUITE, "dave");
    org.jmls.message.KeyPackage kp = d.keyPackage();
    byte[] sig = kp.signature().toByteArray();
    sig[0] ^= 1;
    org.jmls.message.KeyPackage bad = new org.jmls.message.KeyPackage(kp.version(), kp.cipherSuite(), kp.initKey(),
        kp.leafNode(), kp.extensions(), Bytes.wrap(sig));
    assertRefused("rfc9420-10.1.signature", forge(new Proposal.Add(bad)));
  }

  @Test
  void confirmationTagOfForgedEmptyCommit_rfc9420_12_4_2() throws Exception {
    // Path-less commits of Adds are allowed, so the forged zero tag is what fails.
    KeyPackageBundle d = GroupTest.member(SUITE, "dave");
    assertRefused("rfc9420-12.4.2.confirmation-tag", forge(new Proposal.Add(d.keyPackage())));
  }

  private static final int PRIVATE_CREDENTIAL = 0xF000;

  /** A KeyPackage with {@code credential} whose capabilities list exactly {@code credentialTypes}. */
  private static KeyPackageBundle withCredential(org.jmls.message.Credential credential, Integer... credentialTypes) throws Exception {
    org.jmls.crypto.MlsCrypto c = S.provider().suite(SUITE);
    org.jmls.message.Capabilities d = KeyPackages.defaultCapabilities(SUITE);
    long now = S.clock().instant().getEpochSecond();
    return KeyPackages.create(c, credential, c.generateSignatureKeyPair(),
        new org.jmls.message.Capabilities(d.versions(), d.cipherSuites(), d.extensions(), d.proposals(), List.of(credentialTypes)),
        new org.jmls.message.Lifetime(now - 60, now + 3600), List.of(), List.of());
  }

  @Test
  void addBringingACredentialTypeNotEveryoneSupports_rfc9420_7_3() throws Exception {
    KeyPackageBundle dave = withCredential(new org.jmls.message.Credential.Unknown(PRIVATE_CREDENTIAL, Bytes.wrap("dave".getBytes())),
        org.jmls.message.Credential.BASIC, PRIVATE_CREDENTIAL);
    // The committer refuses to build it, and a receiver refuses it when a committer does.
    ValidationException e = assertThrows(ValidationException.class,
        () -> alice.commit(List.of(new Proposal.Add(dave.keyPackage())), false));
    assertEquals("rfc9420-7.3.credential-support", e.ruleId(), e.getMessage());
    assertEquals(false, alice.hasPendingCommit());
    assertRefused("rfc9420-7.3.credential-support", forge(new Proposal.Add(dave.keyPackage())));
  }

  @Test
  void addOfAMemberLackingACredentialTypeInUse_rfc9420_7_3() throws Exception {
    Integer[] both = {org.jmls.message.Credential.BASIC, PRIVATE_CREDENTIAL};
    KeyPackageBundle a = withCredential(new org.jmls.message.Credential.Basic(Bytes.wrap("a".getBytes())), both);
    KeyPackageBundle b = withCredential(new org.jmls.message.Credential.Unknown(PRIVATE_CREDENTIAL, Bytes.wrap("b".getBytes())), both);
    Group ga = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {6}), a, List.of());
    ga.commit(List.of(new Proposal.Add(b.keyPackage())), false);
    ga.mergePendingCommit();
    // Only basic credentials: the types in use do not change, so this is the check of the changed leaves alone.
    KeyPackageBundle c = withCredential(new org.jmls.message.Credential.Basic(Bytes.wrap("c".getBytes())), org.jmls.message.Credential.BASIC);
    ValidationException e = assertThrows(ValidationException.class,
        () -> ga.commit(List.of(new Proposal.Add(c.keyPackage())), false));
    assertEquals("rfc9420-7.3.credential-support", e.ruleId(), e.getMessage());
  }

  @Test
  void manyAdds_checkedInParallel_refuseTheFirstBadKeyPackageInOrder() throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      GroupServices parallel = S.withExecutor(pool);
      KeyPackageBundle a = GroupTest.member(SUITE, "a");
      Group ga = Group.create(parallel, GroupConfig.defaults(), Bytes.wrap(new byte[] {8}), a, List.of());
      List<Proposal> adds = new ArrayList<>();
      for (int i = 0; i < ProposalList.PARALLEL_ADDS + 4; i++) {
        adds.add(new Proposal.Add(GroupTest.member(SUITE, "m" + i).keyPackage()));
      }
      List<Proposal> bad = new ArrayList<>(adds);
      org.jmls.message.KeyPackage kp = ((Proposal.Add) bad.get(7)).keyPackage();
      byte[] sig = kp.signature().toByteArray();
      sig[3] ^= 1;
      bad.set(7, new Proposal.Add(new org.jmls.message.KeyPackage(kp.version(), kp.cipherSuite(), kp.initKey(), kp.leafNode(),
          kp.extensions(), Bytes.wrap(sig))));
      bad.set(12, bad.get(11)); // a later duplicate: the earlier bad signature is what is reported
      ValidationException e = assertThrows(ValidationException.class, () -> ga.commit(bad, false));
      assertEquals("rfc9420-10.1.signature", e.ruleId(), e.getMessage());
      Group.CommitResult ok = ga.commit(adds, false);
      ga.mergePendingCommit();
      assertEquals(adds.size() + 1, ga.members().size());
      assertEquals(adds.size(), ((Welcome) ok.welcome().body()).secrets().size());
    } finally {
      pool.shutdownNow();
    }
  }
}
