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

  /**
   * A commit malformed in its last byte costs the receiver no more than the valid one, counted in
   * operations, not time: in a populated group of 4,096 (100,000 with -Djmls.large=true) a member
   * refuses it before any DH, tree hash or path work, in both handshake modes (the last byte is the
   * membership tag of a PublicMessage, the AEAD tag of a PrivateMessage), and keeps its state (an
   * encrypted one may have derived the sender's ratchet lazily: the same keys, stored otherwise).
   */
  @Test
  void commitMalformedInItsLastByte_costsNoMoreThanAValidOne() throws Exception {
    int n = Boolean.getBoolean("jmls.large") ? 100_000 : 4_096;
    org.jmls.crypto.CountingProvider counting = new org.jmls.crypto.CountingProvider(org.jmls.crypto.DefaultCryptoProvider.instance());
    GroupServices services = new GroupServices(counting, java.time.Clock.systemUTC(), CredentialValidator.ACCEPT_ALL,
        PskStore.NONE, null);
    for (boolean encrypted : new boolean[] {false, true}) {
      LargeGroups.Populated p = LargeGroups.populated(services, GroupConfig.defaults().withEncryptedHandshakes(encrypted), n);
      Group.CommitResult c = p.first().commit(List.of(), true);
      byte[] valid = c.commit().toByteArray();
      byte[] bad = valid.clone();
      bad[bad.length - 1] ^= 1;
      Group.Snapshot before = p.second().snapshot();

      counting.reset();
      Group ok = Group.restore(services, before);
      counting.reset();
      ok.merge((Group.StagedCommit) ok.process(MlsMessage.fromBytes(valid)));
      long[] validCost = counting.snapshot();

      Group refusing = Group.restore(services, before);
      counting.reset();
      org.jmls.MlsException refused = assertThrows(org.jmls.MlsException.class, () -> refusing.process(MlsMessage.fromBytes(bad)));
      org.junit.jupiter.api.Assertions.assertFalse(refused.getMessage().isBlank());
      long[] badCost = counting.snapshot();
      String[] what = {"hashes", "MACs", "AEAD opens", "DH operations", "signature checks"};
      for (int k = 0; k < what.length; k++) {
        org.junit.jupiter.api.Assertions.assertTrue(badCost[k] <= validCost[k],
            what[k] + ": " + badCost[k] + " for the malformed commit, " + validCost[k] + " for the valid one (encrypted " + encrypted + ")");
      }
      assertEquals(0, badCost[3], "no DH for a commit refused on its last byte");
      org.junit.jupiter.api.Assertions.assertTrue(validCost[3] > 0 && validCost[0] > 10 * Math.max(1, badCost[0]),
          "the valid commit does the path work: " + java.util.Arrays.toString(validCost) + " against " + java.util.Arrays.toString(badCost));
      // The refusing member keeps its state: still in its epoch, and the valid commit takes it where it took the other.
      assertEquals(p.second().epoch(), refusing.epoch());
      refusing.merge((Group.StagedCommit) refusing.process(MlsMessage.fromBytes(valid)));
      assertEquals(ok.epochAuthenticator(), refusing.epochAuthenticator());
    }
  }
}
