package org.jmls.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.Secret;
import org.jmls.message.GroupInfo;
import org.jmls.message.MlsMessage;
import org.jmls.message.PreSharedKeyId;
import org.jmls.message.Proposal;
import org.jmls.message.ResumptionPskUsage;
import org.jmls.message.Welcome;
import org.junit.jupiter.api.Test;

/** External commits (join and resync), ReInit and branching (RFC 9420 §11.2, §11.3, §12.4.3.2). */
class GroupResumptionTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final GroupServices S = GroupServices.development();

  private static Group[] aliceAndBob(GroupServices bobServices) throws Exception {
    KeyPackageBundle a = GroupTest.member(SUITE, "alice");
    KeyPackageBundle b = GroupTest.member(SUITE, "bob");
    Group alice = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {9}), a, List.of());
    Group.CommitResult r = alice.commit(List.of(new Proposal.Add(b.keyPackage())), false);
    alice.mergePendingCommit();
    Group bob = Group.join(bobServices, GroupConfig.defaults(), (Welcome) r.welcome().body(), b, null);
    return new Group[] {alice, bob};
  }

  @Test
  void externalJoin_thenResyncAfterStateLoss() throws Exception {
    Group[] g = aliceAndBob(S);
    Group alice = g[0];
    Group bob = g[1];
    KeyPackageBundle carolKp = GroupTest.member(SUITE, "carol");
    GroupInfo gi = (GroupInfo) alice.groupInfo(true).body();
    Group.ExternalJoin carol = Group.externalJoin(S, GroupConfig.defaults(), gi, null, carolKp.keyPackage().leafNode(),
        carolKp.signatureKey(), -1);
    alice.merge((Group.StagedCommit) alice.process(carol.commit()));
    bob.merge((Group.StagedCommit) bob.process(carol.commit()));
    assertEquals(alice.epochAuthenticator(), carol.group().epochAuthenticator());
    assertEquals(bob.epochAuthenticator(), carol.group().epochAuthenticator());
    assertEquals(3, alice.members().size());

    // Bob loses his state and rejoins, removing his old leaf (RFC 9750 §5.8).
    KeyPackageBundle bob2 = GroupTest.member(SUITE, "bob");
    GroupInfo gi2 = (GroupInfo) carol.group().groupInfo(false).body();
    Group.ExternalJoin resync = Group.externalJoin(S, GroupConfig.defaults(), gi2, carol.group().tree().toNodes(),
        bob2.keyPackage().leafNode(), bob2.signatureKey(), bob.myLeafIndex());
    alice.merge((Group.StagedCommit) alice.process(resync.commit()));
    carol.group().merge((Group.StagedCommit) carol.group().process(resync.commit()));
    assertEquals(alice.epochAuthenticator(), resync.group().epochAuthenticator());
    assertEquals(3, alice.members().size());
    MlsMessage hello = resync.group().encrypt("back".getBytes(), new byte[0]);
    assertEquals("back", new String(((Group.ApplicationMessage) alice.process(hello)).data().toByteArray()));
  }

  @Test
  void externalJoin_withoutExternalPub_refused() throws Exception {
    Group alice = aliceAndBob(S)[0];
    GroupInfo gi = (GroupInfo) alice.groupInfo(true).body();
    GroupInfo stripped = new GroupInfo(gi.groupContext(), List.of(gi.extensions().get(0)), gi.confirmationTag(), gi.signer(), gi.signature());
    KeyPackageBundle carol = GroupTest.member(SUITE, "carol");
    ValidationException e = assertThrows(ValidationException.class, () -> Group.externalJoin(S, GroupConfig.defaults(),
        stripped, null, carol.keyPackage().leafNode(), carol.signatureKey(), -1));
    assertEquals("rfc9420-12.4.3.2.external-pub", e.ruleId());
  }

  private static PskStore resumptionFrom(Group old) {
    return new PskStore() {
      @Override
      public Secret external(Bytes pskId) {
        return null;
      }

      @Override
      public Secret resumption(Bytes groupId, long epoch) {
        return groupId.equals(old.groupId()) ? old.resumptionPsk(epoch) : null;
      }
    };
  }

  @Test
  void reinit_newGroupLinkedByReinitPsk() throws Exception {
    Group[] holder = new Group[2];
    GroupServices bobServices = S.withPsks(new PskStore() {
      @Override
      public Secret external(Bytes pskId) {
        return null;
      }

      @Override
      public Secret resumption(Bytes groupId, long epoch) {
        return holder[1] != null && groupId.equals(holder[1].groupId()) ? holder[1].resumptionPsk(epoch) : null;
      }
    });
    Group[] g = aliceAndBob(bobServices);
    Group alice = g[0];
    Group bob = g[1];
    holder[1] = bob;
    Bytes newId = Bytes.wrap(new byte[] {10, 11});
    Group.CommitResult rc = alice.commit(List.of(new Proposal.ReInit(newId, 1, SUITE.id(), List.of())), false);
    alice.mergePendingCommit();
    bob.merge((Group.StagedCommit) bob.process(rc.commit()));
    assertNotNull(bob.reinitPending());
    assertThrows(ValidationException.class, () -> bob.encrypt("x".getBytes(), new byte[0]));

    KeyPackageBundle a2 = GroupTest.member(SUITE, "alice");
    KeyPackageBundle b2 = GroupTest.member(SUITE, "bob");
    Group fresh = Group.create(S.withPsks(resumptionFrom(alice)), GroupConfig.defaults(), newId, a2, List.of());
    PreSharedKeyId link = PreSharedKeyId.resumption(ResumptionPskUsage.REINIT, alice.groupId(), alice.epoch(),
        Bytes.wrap(fresh.crypto().randomBytes(32)));
    Group.CommitResult w = fresh.commit(List.of(new Proposal.PreSharedKey(link), new Proposal.Add(b2.keyPackage())), false);
    fresh.mergePendingCommit();
    Group bobNew = Group.join(bobServices, GroupConfig.defaults(), (Welcome) w.welcome().body(), b2, null);
    assertEquals(fresh.epochAuthenticator(), bobNew.epochAuthenticator());
    assertEquals(1, bobNew.epoch());
  }

  @Test
  void reinitPskProposal_outsideInitialCommit_refused_rfc9420_12_1_4() throws Exception {
    Group alice = aliceAndBob(S)[0];
    PreSharedKeyId link = PreSharedKeyId.resumption(ResumptionPskUsage.BRANCH, alice.groupId(), alice.epoch(),
        Bytes.wrap(alice.crypto().randomBytes(32)));
    ValidationException e = assertThrows(ValidationException.class,
        () -> alice.commit(List.of(new Proposal.PreSharedKey(link)), false));
    assertEquals("rfc9420-12.1.4.psk-usage", e.ruleId());
  }

  @Test
  void applicationResumptionPsk_fromPastEpoch() throws Exception {
    Group[] g = aliceAndBob(S);
    Group alice = g[0];
    Group bob = g[1];
    PreSharedKeyId psk = PreSharedKeyId.resumption(ResumptionPskUsage.APPLICATION, alice.groupId(), alice.epoch(),
        Bytes.wrap(alice.crypto().randomBytes(32)));
    Group.CommitResult r = alice.commit(List.of(new Proposal.PreSharedKey(psk)), false);
    alice.mergePendingCommit();
    bob.merge((Group.StagedCommit) bob.process(r.commit()));
    assertEquals(alice.epochAuthenticator(), bob.epochAuthenticator());
  }
}
