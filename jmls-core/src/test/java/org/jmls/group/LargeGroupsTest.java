package org.jmls.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.List;
import org.jmls.crypto.CipherSuite;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The large-group fixture builds states that real members accept: a joiner validates the whole
 * tree (parent hashes, leaf signatures, keys), and commits by leaf 0 and leaf 1 are processed by
 * each other and by the joiner with agreeing epoch authenticators.
 */
class LargeGroupsTest {
  private static final GroupServices S = GroupServices.development();

  @ParameterizedTest
  @ValueSource(ints = {2, 3, 37, 64, 300})
  void populatedFixture_passesFullValidationAndCommitsWork(int members) throws Exception {
    GroupConfig config = GroupConfig.defaults();
    LargeGroups.Populated g = LargeGroups.populated(S, config, members);
    Group a = g.first();
    Group b = g.second();
    assertEquals(members, a.members().size());
    assertEquals(a.epochAuthenticator(), b.epochAuthenticator());

    // Leaf 0 commits with a path; leaf 1 processes (it decrypts at its own leaf and derives every level above).
    Group.CommitResult c1 = a.commit(List.of(), true);
    b.merge((Group.StagedCommit) b.process(c1.commit()));
    a.mergePendingCommit();
    assertEquals(a.epochAuthenticator(), b.epochAuthenticator());

    // A newcomer joins with the tree out of band and validates all of it.
    KeyPackageBundle kp = GroupTest.member(CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519, "newcomer");
    Group.CommitResult add = b.commit(List.of(), List.of(new Proposal.Add(kp.keyPackage())), true, false);
    a.merge((Group.StagedCommit) a.process(add.commit()));
    b.mergePendingCommit();
    MlsMessage welcome = add.welcome();
    assertNotNull(welcome);
    Group c = Group.join(S, config, (Welcome) welcome.body(), kp, b.tree().toNodes());
    assertEquals(b.epochAuthenticator(), c.epochAuthenticator());
    assertEquals(members + 1, c.members().size());

    // And the newcomer's commit reaches both original members.
    Group.CommitResult c2 = c.commit(List.of(), true);
    a.merge((Group.StagedCommit) a.process(c2.commit()));
    b.merge((Group.StagedCommit) b.process(c2.commit()));
    c.mergePendingCommit();
    assertEquals(c.epochAuthenticator(), a.epochAuthenticator());
    assertEquals(c.epochAuthenticator(), b.epochAuthenticator());
  }

  /**
   * A joiner refuses a tree in which one leaf's credential is not acceptable, whether its per-leaf
   * checks run on one thread or are split over an executor (600 leaves: three chunks), and names
   * the same cause either way.
   */
  @org.junit.jupiter.api.Test
  void join_oneUnacceptableCredential_refusedWithAndWithoutExecutor() throws Exception {
    GroupConfig config = GroupConfig.defaults();
    LargeGroups.Populated g = LargeGroups.populated(S, config, 600);
    Group b = g.second();
    KeyPackageBundle kp = GroupTest.member(CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519, "newcomer");
    Group.CommitResult add = b.commit(List.of(), List.of(new Proposal.Add(kp.keyPackage())), true, false);
    b.mergePendingCommit();
    Welcome w = (Welcome) add.welcome().body();
    org.jmls.Bytes refusedKey = b.member(450).signatureKey();
    CredentialValidator strict = (credential, key) -> {
      if (key.equals(refusedKey)) {
        throw new org.jmls.ValidationException("test.credential", "leaf 450's credential is not acceptable");
      }
    };
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      for (GroupServices services : List.of(S.withCredentials(strict), S.withCredentials(strict).withExecutor(pool))) {
        org.jmls.ValidationException e = org.junit.jupiter.api.Assertions.assertThrows(org.jmls.ValidationException.class,
            () -> Group.join(services, config, w, kp, b.tree().toNodes()));
        assertEquals("test.credential", e.ruleId());
      }
      // With an accepting validator, both ways join.
      assertEquals(601, Group.join(S.withExecutor(pool), config, w, kp, b.tree().toNodes()).members().size());
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * With workers, the committer derives its path keys and the receivers derive and check theirs in
   * parallel (TreeKem.nodeKeyPairs): in a DHKEM suite and an ML-KEM one, commits each way between
   * leaf 0 and leaf 1 of a populated group of 300 leave them agreeing.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {0x0001, 0xF006})
  void commitsWithWorkers_pathKeysDerivedInParallel_membersAgree(int suite) throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      LargeGroups.Populated g = LargeGroups.populated(S.withExecutor(pool), GroupConfig.defaults(), 300,
          org.jmls.crypto.CipherSuite.of(suite));
      Group a = g.first();
      Group b = g.second();
      for (int i = 0; i < 3; i++) {
        Group committer = i % 2 == 0 ? a : b;
        Group receiver = i % 2 == 0 ? b : a;
        Group.CommitResult r = committer.commit(List.of(), true);
        receiver.merge((Group.StagedCommit) receiver.process(r.commit()));
        committer.mergePendingCommit();
        assertEquals(committer.epochAuthenticator(), receiver.epochAuthenticator());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * A group state past the decoder's 16 MiB default (70,000 members: about 18 MB) saves and loads,
   * the loaded member works, and the two past epochs add little (their trees are written as
   * differences).
   */
  @org.junit.jupiter.api.Test
  void stateOfALargeGroup_savesAndLoadsPastTheDefaultDecodeLimit() throws Exception {
    GroupConfig config = GroupConfig.defaults();
    LargeGroups.Populated g = LargeGroups.populated(S, config, 70_000);
    Group a = g.first();
    Group b = g.second();
    for (int i = 0; i < 2; i++) { // two past epochs, as a member keeps by default
      b.merge((Group.StagedCommit) b.process(a.commit(List.of(), true).commit()));
      a.mergePendingCommit();
    }
    byte[] saved = b.save();
    org.junit.jupiter.api.Assertions.assertTrue(saved.length > 16 << 20, "state of " + saved.length + " bytes");
    int oneTree = new org.jmls.extension.RatchetTree(b.tree().toNodes()).toByteArray().length;
    org.junit.jupiter.api.Assertions.assertTrue(saved.length < oneTree + (1 << 20), "state of " + saved.length
        + " bytes for a tree of " + oneTree);
    Group loaded = Group.load(S, saved);
    assertEquals(b.epochAuthenticator(), loaded.epochAuthenticator());
    loaded.merge((Group.StagedCommit) loaded.process(a.commit(List.of(), true).commit()));
    a.mergePendingCommit();
    assertEquals(a.epochAuthenticator(), loaded.epochAuthenticator());
  }
}
