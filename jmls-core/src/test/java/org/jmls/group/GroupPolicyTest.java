package org.jmls.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.Secret;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;
import org.jmls.schedule.EpochSecrets;
import org.junit.jupiter.api.Test;

/** SelfRemove, application proposal rules, and the deletion schedule (§9.2). */
class GroupPolicyTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

  private static Group[] trio(GroupServices s) throws Exception {
    KeyPackageBundle a = GroupTest.member(SUITE, "alice");
    KeyPackageBundle b = GroupTest.member(SUITE, "bob");
    KeyPackageBundle c = GroupTest.member(SUITE, "carol");
    Group alice = Group.create(s, GroupConfig.defaults(), Bytes.wrap(new byte[] {77}), a, List.of());
    Group.CommitResult r = alice.commit(List.of(new Proposal.Add(b.keyPackage()), new Proposal.Add(c.keyPackage())), false);
    alice.mergePendingCommit();
    return new Group[] {alice, Group.join(s, GroupConfig.defaults(), (Welcome) r.welcome().body(), b, null),
        Group.join(s, GroupConfig.defaults(), (Welcome) r.welcome().body(), c, null)};
  }

  @Test
  void selfRemove_committedByAnotherMember_removesTheSender() throws Exception {
    Group[] g = trio(GroupServices.development());
    MlsMessage leave = g[2].proposeSelfRemove();
    g[0].process(leave);
    g[1].process(leave);
    Group.CommitResult c = g[0].commit(List.of(), false);
    g[0].mergePendingCommit();
    g[1].merge((Group.StagedCommit) g[1].process(c.commit()));
    Group.StagedCommit carolSees = (Group.StagedCommit) g[2].process(c.commit());
    assertTrue(carolSees.removesMe());
    g[2].merge(carolSees);
    assertFalse(g[2].isActive());
    assertEquals(g[0].epochAuthenticator(), g[1].epochAuthenticator());
    assertEquals(2, g[0].members().size());
  }

  @Test
  void applicationProposalType_refusedByDefault_acceptedByApplicationRule() throws Exception {
    Proposal custom = new Proposal.Unknown(0xf001, Bytes.wrap(new byte[] {1, 2, 3}));
    Group alice = trio(GroupServices.development())[0];
    assertEquals("app.proposal-type",
        assertThrows(ValidationException.class, () -> alice.commit(List.of(custom), false)).ruleId());

    // An application rule that only lets leaf 0 (an admin) remove members.
    GroupServices adminOnly = GroupServices.development().withProposalValidator((p, sender) -> {
      if (p instanceof Proposal.Remove && sender.index() != 0) {
        throw new ValidationException("app.admin-only", "only the admin removes members");
      }
    });
    Group[] g = trio(adminOnly);
    MlsMessage bobRemovesCarol = g[1].propose(new Proposal.Remove(2));
    assertEquals("app.admin-only", assertThrows(ValidationException.class, () -> g[0].process(bobRemovesCarol)).ruleId());
    assertTrue(g[0].pendingProposals().isEmpty());
  }

  @Test
  void mergedCommit_deletesThePreviousEpochsSecrets_exceptLateMessageKeys() throws Exception {
    Group[] g = trio(GroupServices.development());
    EpochSecrets before = g[1].secretsForTesting();
    Secret init = before.initSecret();
    Group.CommitResult c = g[0].commit(List.of(), false);
    g[0].mergePendingCommit();
    g[1].merge((Group.StagedCommit) g[1].process(c.commit()));
    assertTrue(init.isDestroyed());
    assertTrue(before.membershipKey().isDestroyed());
    assertTrue(before.exporterSecret().isDestroyed());
    assertFalse(before.senderDataSecret().isDestroyed(), "kept for late application messages");
    assertFalse(g[1].secretsForTesting().initSecret().isDestroyed());
  }
}
