package org.jmls.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.Secret;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;
import org.junit.jupiter.api.Test;

/**
 * {@link Group#processApplications}: a run of application messages gives what {@link Group#process}
 * gives one by one (texts, refusals and their rules, ratchet state), with or without an executor
 * spreading the signature checks.
 */
class ApplicationBatchTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final GroupServices S = GroupServices.development();

  @Test
  void batch_matchesOneByOne_refusalsInPlace_withAndWithoutExecutor() throws Exception {
    KeyPackageBundle a = GroupTest.member(SUITE, "alice");
    KeyPackageBundle b = GroupTest.member(SUITE, "bob");
    KeyPackageBundle c = GroupTest.member(SUITE, "carol");
    GroupConfig config = GroupConfig.defaults();
    Group alice = Group.create(S, config, Bytes.wrap(new byte[] {9, 9}), a, List.of());
    Group.CommitResult r = alice.commit(List.of(new Proposal.Add(b.keyPackage()), new Proposal.Add(c.keyPackage())), false);
    alice.mergePendingCommit();
    Group bob = Group.join(S, config, (Welcome) r.welcome().body(), b, null);
    Group carol = Group.join(S, config, (Welcome) r.welcome().body(), c, null);
    // Carol's ratchets, driven by someone signing with a key that is not her leaf's: an insider's forgery.
    Secret otherKey = Secret.copyOf(carol.crypto().generateSignatureKeyPair().privateKey().unsafeArray());
    Group forger = Group.ofState(S, config, otherKey, carol.stateForTesting());

    List<MlsMessage> msgs = new ArrayList<>();
    List<String> expected = new ArrayList<>(); // text, or "!" + the rule of the refusal
    for (int i = 0; i < 100; i++) {
      if (i == 10 || i == 90) {
        msgs.add(forger.encrypt(("forged " + i).getBytes(), new byte[0]));
        expected.add("!rfc9420-6.1.signature");
      } else if (i == 50) {
        msgs.add(null); // a proposal, made below: Bob sends no application data while it is pending
        expected.add("!api.application-batch");
      } else if (i == 70) {
        msgs.add(msgs.get(3)); // a replay: its generation is used
        expected.add("!rfc9420-9.4.generation-consumed");
      } else {
        Group sender = i % 3 == 0 ? carol : bob;
        msgs.add(sender.encrypt(("message " + i).getBytes(), new byte[] {(byte) i}));
        expected.add("message " + i);
      }
    }
    msgs.set(50, bob.proposeUpdate());
    byte[] saved = alice.save();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (GroupServices services : List.of(S, S.withExecutor(pool))) {
        Group receiver = Group.load(services, saved);
        List<Group.Outcome> outcomes = receiver.processApplications(msgs);
        assertEquals(msgs.size(), outcomes.size());
        for (int i = 0; i < msgs.size(); i++) {
          assertEquals(expected.get(i), describe(outcomes.get(i)), "message " + i + ", executor " + (services.executor() != null));
        }
        // One by one from the same start: the same answers.
        Group oneByOne = Group.load(S, saved);
        for (int i = 0; i < msgs.size(); i++) {
          String got;
          try {
            got = new String(((Group.ApplicationMessage) oneByOne.process(msgs.get(i))).data().toByteArray());
          } catch (ValidationException e) {
            got = "!" + e.ruleId();
          } catch (ClassCastException e) {
            got = "!api.application-batch"; // process() takes the proposal; the batch refuses it
          }
          assertEquals(expected.get(i), got, "one by one, message " + i);
        }
        // The ratchets moved as far as one by one: the next messages decrypt, the batch's cannot again.
        MlsMessage next = carol.encrypt("after".getBytes(), new byte[0]);
        assertEquals("after", new String(((Group.ApplicationMessage) receiver.process(next)).data().toByteArray()));
        assertEquals("!rfc9420-9.4.generation-consumed", describe(receiver.processApplications(List.of(msgs.get(1))).get(0)));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static String describe(Group.Outcome o) {
    if (o.refusal() != null) {
      assertNull(o.message());
      MlsException e = o.refusal();
      return "!" + (e instanceof ValidationException ? ((ValidationException) e).ruleId() : e.getMessage());
    }
    assertNotNull(o.message());
    return new String(o.message().data().toByteArray());
  }
}
