package org.jmls.group;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.crypto.CipherSuite;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;
import org.junit.jupiter.api.Test;

class GroupPersistenceTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final GroupServices S = GroupServices.development();

  private static Group[] pair(GroupConfig config) throws Exception {
    KeyPackageBundle a = GroupTest.member(SUITE, "alice");
    KeyPackageBundle b = GroupTest.member(SUITE, "bob");
    Group alice = Group.create(S, config, Bytes.wrap(new byte[] {42}), a, List.of());
    Group.CommitResult r = alice.commit(List.of(new Proposal.Add(b.keyPackage())), false);
    alice.mergePendingCommit();
    return new Group[] {alice, Group.join(S, config, (Welcome) r.welcome().body(), b, null)};
  }

  private static String text(Group.Processed p) {
    return new String(((Group.ApplicationMessage) p).data().toByteArray(), StandardCharsets.UTF_8);
  }

  @Test
  void saveAndLoad_restoredMemberKeepsTalkingAndCommitting() throws Exception {
    for (boolean encrypted : new boolean[] {false, true}) {
      Group[] g = pair(GroupConfig.defaults().withEncryptedHandshakes(encrypted));
      Group alice = g[0];
      Group bob = g[1];
      MlsMessage early = alice.encrypt("one".getBytes(), new byte[0]);
      MlsMessage pendingProposal = alice.proposeUpdate();
      bob.process(pendingProposal);
      Group bob2 = Group.load(S, bob.save());
      assertEquals(bob.epochAuthenticator(), bob2.epochAuthenticator());
      assertEquals("one", text(bob2.process(early)));
      // The cached proposal survived: a commit by reference still processes.
      Group.CommitResult c = bob2.commit(List.of(), false);
      bob2.mergePendingCommit();
      Group alice2 = Group.load(S, alice.save());
      alice2.merge((Group.StagedCommit) alice2.process(c.commit()));
      assertEquals(alice2.epochAuthenticator(), bob2.epochAuthenticator());
      assertEquals("two", text(alice2.process(bob2.encrypt("two".getBytes(), new byte[0]))));
      // A saved and reloaded state saves to the same bytes (nothing lost or invented).
      assertArrayEquals(alice2.save(), Group.load(S, alice2.save()).save());
    }
  }

  @Test
  void save_refusedWhileACommitIsPending() throws Exception {
    Group alice = pair(GroupConfig.defaults())[0];
    alice.commit(List.of(), false);
    assertThrows(IllegalStateException.class, alice::save);
    alice.discardPendingCommit();
    alice.save();
  }

  @Test
  void load_corruptedState_failsWithDecodeErrorOnly() throws Exception {
    byte[] blob = pair(GroupConfig.defaults())[1].save();
    Random r = new Random(1);
    for (int i = 0; i < 2000; i++) {
      byte[] bad = blob.clone();
      int n = 1 + r.nextInt(3);
      for (int k = 0; k < n; k++) {
        bad[r.nextInt(bad.length)] ^= (byte) (1 + r.nextInt(255));
      }
      if (r.nextBoolean()) {
        bad = java.util.Arrays.copyOf(bad, r.nextInt(bad.length));
      }
      try {
        Group.load(S, bad);
      } catch (DecodeException expected) {
        assertTrue(!expected.reason().startsWith("internal"), expected.reason());
      }
    }
  }

  /**
   * A state saved by version 1 of the format (checked in under golden/) must keep loading: it holds
   * Bob's view of a two-member group and a message Alice sent in that epoch.
   */
  @Test
  void goldenState_v1_stillLoadsAndDecrypts() throws Exception {
    byte[] state;
    byte[] message;
    try (InputStream s = getClass().getResourceAsStream("/golden/group-state-v1.bin");
        InputStream m = getClass().getResourceAsStream("/golden/group-state-v1.message")) {
      state = s.readAllBytes();
      message = m.readAllBytes();
    }
    Group bob = Group.load(S, state);
    assertEquals(1, bob.epoch());
    assertEquals("golden", text(bob.process(MlsMessage.fromBytes(message))));
  }

  /** Writes the golden files; run by hand only when the format version changes. */
  public static void main(String[] args) throws Exception {
    Group[] g = pair(GroupConfig.defaults());
    java.nio.file.Path dir = java.nio.file.Paths.get(args[0]);
    java.nio.file.Files.write(dir.resolve("group-state-v1.bin"), g[1].save());
    java.nio.file.Files.write(dir.resolve("group-state-v1.message"), g[0].encrypt("golden".getBytes(), new byte[0]).toByteArray());
  }
}
