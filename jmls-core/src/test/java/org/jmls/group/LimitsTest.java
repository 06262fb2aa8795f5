package org.jmls.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.message.GroupInfo;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;
import org.junit.jupiter.api.Test;

/** Bounds on what other parties can make a member (or the DS's public view) keep. */
class LimitsTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

  /**
   * Proposals cached in one epoch: the one beyond the limit is refused with its rule, by a member
   * and by the public view alike, and changes nothing; a commit empties the cache.
   */
  @Test
  void cachedProposals_beyondTheLimit_refused_untilACommit() throws Exception {
    GroupServices limited = GroupServices.development().withLimits(new GroupServices.Limits(3));
    KeyPackageBundle a = GroupTest.member(SUITE, "alice");
    KeyPackageBundle b = GroupTest.member(SUITE, "bob");
    Group alice = Group.create(limited, GroupConfig.defaults(), Bytes.wrap(new byte[] {4, 2}), a, List.of());
    Group.CommitResult add = alice.commit(List.of(new Proposal.Add(b.keyPackage())), false);
    alice.mergePendingCommit();
    Group bob = Group.join(limited, GroupConfig.defaults(), (Welcome) add.welcome().body(), b, null);
    PublicGroup ds = PublicGroup.fromGroupInfo(limited, (GroupInfo) alice.groupInfo(true).body(), null);

    List<MlsMessage> updates = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      updates.add(bob.proposeUpdate());
    }
    for (int i = 0; i < 3; i++) {
      alice.process(updates.get(i));
      ds.handle(updates.get(i));
    }
    ValidationException member = assertThrows(ValidationException.class, () -> alice.process(updates.get(3)));
    assertEquals("limit.cached-proposals", member.ruleId(), member.getMessage());
    ValidationException view = assertThrows(ValidationException.class, () -> ds.handle(updates.get(3)));
    assertEquals("limit.cached-proposals", view.ruleId());
    assertEquals(3, alice.pendingProposals().size(), "the refused proposal changed nothing");

    // Alice commits one of them (Bob's updates conflict with each other); the next epoch starts with an empty cache.
    Group.CommitResult c = alice.commit(List.of(alice.pendingProposals().get(0)), List.of(), true, true);
    ds.handle(c.commit());
    alice.mergePendingCommit();
    bob.merge((Group.StagedCommit) bob.process(c.commit()));
    assertEquals(0, alice.pendingProposals().size());
    MlsMessage again = bob.proposeUpdate();
    alice.process(again);
    ds.handle(again);
    assertEquals(1, alice.pendingProposals().size());
  }
}
