package org.jmls.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.message.GroupContext;
import org.jmls.message.GroupInfo;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;
import org.junit.jupiter.api.Test;

/** The secret-free view a Delivery Service keeps stays in step with the members. */
class PublicGroupTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final GroupServices S = GroupServices.development();

  @Test
  void followsAddsUpdatesRemovesAndExternalJoins_checksGroupInfos() throws Exception {
    KeyPackageBundle a = GroupTest.member(SUITE, "alice");
    KeyPackageBundle b = GroupTest.member(SUITE, "bob");
    Group alice = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {3, 1}), a, List.of());
    PublicGroup ds = PublicGroup.fromGroupInfo(S, (GroupInfo) alice.groupInfo(true).body(), null);
    assertEquals(alice.context(), ds.context());

    Group.CommitResult r = alice.commit(List.of(new Proposal.Add(b.keyPackage())), false);
    ds.handle(r.commit());
    alice.mergePendingCommit();
    Group bob = Group.join(S, GroupConfig.defaults(), (Welcome) r.welcome().body(), b, null);
    assertEquals(alice.context(), ds.context());
    ds.checkGroupInfo((GroupInfo) r.groupInfo().body());

    MlsMessage upd = bob.proposeUpdate();
    ds.handle(upd);
    alice.process(upd);
    Group.CommitResult c = alice.commit(List.of(), true);
    ds.handle(c.commit());
    alice.mergePendingCommit();
    bob.merge((Group.StagedCommit) bob.process(c.commit()));
    assertEquals(bob.context(), ds.context());

    KeyPackageBundle carol = GroupTest.member(SUITE, "carol");
    Group.ExternalJoin j = Group.externalJoin(S, GroupConfig.defaults(), (GroupInfo) bob.groupInfo(true).body(), null,
        carol.keyPackage().leafNode(), carol.signatureKey(), -1);
    ds.handle(j.commit());
    alice.merge((Group.StagedCommit) alice.process(j.commit()));
    assertEquals(alice.context(), ds.context());
    assertEquals(3, ds.members().size());

    Group.CommitResult rm = j.group().commit(List.of(new Proposal.Remove(1)), false);
    ds.handle(rm.commit());
    assertEquals(2, ds.members().size());
    j.group().mergePendingCommit();
    assertEquals(j.group().context(), ds.context());

    // A GroupInfo from a stale epoch does not match the tracked state (RFC 9750 §5.5).
    GroupInfo stale = (GroupInfo) alice.groupInfo(true).body();
    assertEquals("rfc9750-5.5.group-info-context",
        assertThrows(ValidationException.class, () -> ds.checkGroupInfo(stale)).ruleId());
    // A GroupInfo with a wrong tree hash fails the same way.
    GroupInfo genuine = (GroupInfo) j.group().groupInfo(true).body();
    ds.checkGroupInfo(genuine);
    GroupContext gc = genuine.groupContext();
    GroupInfo forged = new GroupInfo(new GroupContext(gc.version(), gc.cipherSuite(), gc.groupId(), gc.epoch(),
        Bytes.wrap(new byte[32]), gc.confirmedTranscriptHash(), gc.extensions()), genuine.extensions(),
        genuine.confirmationTag(), genuine.signer(), genuine.signature());
    assertThrows(ValidationException.class, () -> ds.checkGroupInfo(forged));
  }

  @Test
  void refusesACommitForAnotherEpoch_stateUnchanged() throws Exception {
    KeyPackageBundle a = GroupTest.member(SUITE, "alice");
    Group alice = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {3, 2}), a, List.of());
    PublicGroup ds = PublicGroup.fromGroupInfo(S, (GroupInfo) alice.groupInfo(true).body(), null);
    Group.CommitResult first = alice.commit(List.of(), false);
    alice.mergePendingCommit();
    ds.handle(first.commit());
    assertEquals("rfc9420-12.4.2.epoch", assertThrows(ValidationException.class, () -> ds.handle(first.commit())).ruleId());
    assertEquals(alice.context(), ds.context());
  }
}
