package org.jmls.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.codec.DecodeException;
import org.jmls.crypto.CipherSuite;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.KeyPackages;
import org.jmls.group.PublicGroup;
import org.jmls.message.Credential;
import org.jmls.message.GroupInfo;
import org.jmls.message.Lifetime;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;

/**
 * Mutated real messages against a live group. A three-member group (public handshakes, then the
 * same with encrypted ones) is made once; its members' real commits, proposals, application
 * messages, a Welcome and an external commit are the seeds. Each input picks one, mutates it
 * (byte flips, insertions, deletions, truncation, as the input says) and gives it to a member
 * restored from its snapshot, to the DS's public view, and (a Welcome) to the joiner. A refusal
 * must be an {@link MlsException} and leave the member where it was: same epoch, same epoch
 * authenticator, same cached proposals. Anything else is a finding.
 */
class GroupProcessFuzzTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final GroupServices S = GroupServices.development();

  private record Fixture(Group.Snapshot bob, GroupInfo publicView, KeyPackageBundle dave, List<byte[]> seeds) {}

  private static final Fixture PUBLIC = fixture(false);
  private static final Fixture ENCRYPTED = fixture(true);

  private static KeyPackageBundle member(String name) throws Exception {
    long now = S.clock().instant().getEpochSecond();
    return KeyPackages.create(S.provider().suite(SUITE), new Credential.Basic(Bytes.wrap(name.getBytes())),
        S.provider().suite(SUITE).generateSignatureKeyPair(), KeyPackages.defaultCapabilities(SUITE),
        new Lifetime(now - 3600, now + 30L * 86400), List.of(), List.of());
  }

  private static Fixture fixture(boolean encrypted) {
    try {
      GroupConfig config = GroupConfig.defaults().withEncryptedHandshakes(encrypted);
      KeyPackageBundle a = member("alice");
      KeyPackageBundle b = member("bob");
      KeyPackageBundle c = member("carol");
      Group alice = Group.create(S, config, Bytes.wrap(new byte[] {1, 2, 3, (byte) (encrypted ? 1 : 0)}), a, List.of());
      Group.CommitResult r = alice.commit(List.of(new Proposal.Add(b.keyPackage()), new Proposal.Add(c.keyPackage())), true);
      alice.mergePendingCommit();
      Group bob = Group.join(S, config, (Welcome) r.welcome().body(), b, null);
      Group carol = Group.join(S, config, (Welcome) r.welcome().body(), c, null);
      GroupInfo view = (GroupInfo) alice.groupInfo(true).body();
      List<byte[]> seeds = new ArrayList<>();
      seeds.add(alice.encrypt("hello".getBytes(), new byte[] {9}).toByteArray());
      seeds.add(carol.encrypt("hi".getBytes(), new byte[0]).toByteArray());
      seeds.add(alice.proposeUpdate().toByteArray());
      seeds.add(carol.propose(new Proposal.Remove(0)).toByteArray());
      KeyPackageBundle d = member("dave");
      Group.CommitResult add = carol.commit(List.of(new Proposal.Add(d.keyPackage())), true);
      seeds.add(add.commit().toByteArray());
      seeds.add(add.welcome().toByteArray());
      carol.discardPendingCommit();
      seeds.add(alice.commit(List.of(new Proposal.Remove(2)), true).commit().toByteArray());
      alice.discardPendingCommit();
      KeyPackageBundle e = member("erin");
      seeds.add(Group.externalJoin(S, config, view, null, e.keyPackage().leafNode(), e.signatureKey(), -1).commit().toByteArray());
      return new Fixture(bob.snapshot(), view, d, seeds);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @FuzzTest(maxDuration = "90m", maxExecutions = 10_000_000)
  void mutatedMessages(FuzzedDataProvider data) {
    Fixture f = data.consumeBoolean() ? ENCRYPTED : PUBLIC;
    byte[] msg = f.seeds().get(data.consumeInt(0, f.seeds().size() - 1)).clone();
    int edits = data.consumeInt(0, 8);
    for (int k = 0; k < edits && msg.length > 0; k++) {
      int at = data.consumeInt(0, msg.length - 1);
      switch (data.consumeInt(0, 3)) {
        case 0 -> msg[at] ^= (byte) data.consumeInt(1, 255);
        case 1 -> msg = java.util.Arrays.copyOf(msg, at); // truncate
        case 2 -> { // insert
          byte[] longer = new byte[msg.length + 1];
          System.arraycopy(msg, 0, longer, 0, at);
          longer[at] = data.consumeByte();
          System.arraycopy(msg, at, longer, at + 1, msg.length - at);
          msg = longer;
        }
        default -> { // delete
          byte[] shorter = new byte[msg.length - 1];
          System.arraycopy(msg, 0, shorter, 0, at);
          System.arraycopy(msg, at + 1, shorter, at, msg.length - at - 1);
          msg = shorter;
        }
      }
    }
    MlsMessage m;
    try {
      m = MlsMessage.fromBytes(msg);
    } catch (DecodeException refused) {
      return;
    }
    Group bob = Group.restore(S, f.bob());
    long epoch = bob.epoch();
    Bytes auth = bob.epochAuthenticator();
    List<Bytes> proposals = bob.pendingProposals();
    try {
      if (m.body() instanceof Welcome w) {
        Group.join(S, GroupConfig.defaults(), w, f.dave(), null);
      } else {
        Group.Processed p = bob.process(m);
        if (p instanceof Group.StagedCommit staged) {
          bob.merge(staged);
        }
      }
    } catch (MlsException refused) {
      if (bob.epoch() != epoch || !bob.epochAuthenticator().equals(auth) || !bob.pendingProposals().equals(proposals)) {
        throw new AssertionError("a refused message changed the member's state: " + refused.getMessage());
      }
    }
    try {
      PublicGroup.fromGroupInfo(S, f.publicView(), null).handle(m);
    } catch (MlsException refused) {
      // the public view refuses what it cannot verify
    }
  }
}
