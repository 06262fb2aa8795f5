package org.jmls.group;

import java.util.ArrayList;
import java.util.List;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.crypto.CryptoException;
import org.jmls.framing.Framing;
import org.jmls.message.ApplicationData;
import org.jmls.message.AuthenticatedContent;
import org.jmls.message.ContentType;
import org.jmls.message.LeafNode;
import org.jmls.message.MlsMessage;
import org.jmls.message.PrivateMessage;
import org.jmls.message.ProtocolVersion;

/**
 * {@link Group#processApplications}: a run of application messages decrypted in order (decryption
 * moves the ratchets) with their signature checks, most of the work, spread over the group's
 * executor while the next messages decrypt. The same checks, refusals and keys consumed as {@link
 * Group#process} one by one.
 */
final class ApplicationBatch {
  private ApplicationBatch() {}

  private static final int CHECKS_PER_TASK = 32;

  /** Checks the signatures of messages {@code from} to {@code to - 1} that decrypted, refusing those that fail. */
  private static void checkSignatures(Group g, AuthenticatedContent[] signed, EpochState[] states, LeafNode[] senders,
      Group.ApplicationMessage[] results, MlsException[] refusals, int from, int to) {
    for (int i = from; i < to; i++) {
      if (signed[i] != null) {
        try {
          g.verifyPrivateSender(signed[i], states[i], senders[i]);
        } catch (ValidationException e) {
          refusals[i] = e;
          results[i] = null;
        }
      }
    }
  }

  static List<Group.Outcome> process(Group g, List<MlsMessage> messages) throws ValidationException {
    int n = messages.size();
    MlsException[] refusals = new MlsException[n];
    Group.ApplicationMessage[] results = new Group.ApplicationMessage[n];
    AuthenticatedContent[] signed = new AuthenticatedContent[n];
    EpochState[] states = new EpochState[n];
    LeafNode[] senders = new LeafNode[n];
    // Decryption runs in order (it moves the ratchets). The signature checks are independent: with an
    // executor, each run of CHECKS_PER_TASK decrypted messages is checked there while the next decrypts.
    java.util.concurrent.ExecutorService executor = g.services.executor();
    List<java.util.concurrent.Future<?>> checks = new ArrayList<>();
    int unchecked = 0;
    for (int i = 0; i < n; i++) {
      MlsMessage m = messages.get(i);
      try {
        if (m.version() != ProtocolVersion.MLS10) {
          throw new ValidationException("rfc9420-6.version", "protocol version " + m.version() + " is not mls10");
        }
        if (!(m.body() instanceof PrivateMessage) || ((PrivateMessage) m.body()).contentType() != ContentType.APPLICATION) {
          throw new ValidationException("api.application-batch", "only application messages (PrivateMessage) are processed in a batch");
        }
        PrivateMessage pm = (PrivateMessage) m.body();
        EpochState st = g.retainedEpochOf(pm);
        Framing.Opened opened = Framing.open(g.crypto, pm, st.secretTree, st.secrets.senderDataSecret(), st.tree.leafCount());
        AuthenticatedContent ac = opened.content();
        senders[i] = Group.senderOf(ac, st);
        signed[i] = ac;
        states[i] = st;
        ApplicationData ad = (ApplicationData) ac.content().content();
        results[i] = new Group.ApplicationMessage(ac.content().sender().index(), ac.content().epoch(), opened.generation(), ad.data(),
            ac.content().authenticatedData());
      } catch (ValidationException | CryptoException e) {
        refusals[i] = e;
      }
      if (executor != null && (i + 1 - unchecked == CHECKS_PER_TASK || i == n - 1)) {
        int from = unchecked;
        int to = i + 1;
        checks.add(executor.submit(() -> checkSignatures(g, signed, states, senders, results, refusals, from, to)));
        unchecked = to;
      }
    }
    if (executor == null) {
      checkSignatures(g, signed, states, senders, results, refusals, 0, n);
    }
    for (java.util.concurrent.Future<?> f : checks) {
      try {
        f.get(); // every task is awaited: none still writes into the arrays below
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while checking signatures", e);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
    }
    List<Group.Outcome> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(new Group.Outcome(refusals[i] == null ? results[i] : null, refusals[i]));
    }
    return out;
  }
}
