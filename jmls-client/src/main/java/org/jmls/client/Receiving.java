package org.jmls.client;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.ds.http.DsClient;
import org.jmls.ds.http.DsSession;
import org.jmls.group.Group;
import org.jmls.as.X509Credentials;
import org.jmls.client.MlsClient.ClientException;
import org.jmls.group.KeyPackageBundle;
import org.jmls.message.LeafNode;
import org.jmls.message.MlsMessage;
import org.jmls.message.Welcome;
import org.jmls.client.MlsClient.GroupChange;
import org.jmls.client.MlsClient.Received;

/**
 * How a device reads its queue, for {@link MlsClient}: what its session pushed, else pages read
 * over HTTP (the next page read while this one is processed, acknowledgements awaited one behind),
 * each message once and in order. Runs of application messages of one group are processed together
 * (signatures checked on the device's workers); messages for an epoch not reached yet wait for
 * their commit; Welcomes join; groups whose unread messages expired are rejoined.
 */
final class Receiving {
  private final MlsClient c;

  Receiving(MlsClient c) {
    this.c = c;
  }

  private long lastHttpRead;

  /**
   * Processes what the session pushed, in order, each once; persists, then acknowledges over the
   * session. Returns false when there is no live session (the caller reads over HTTP).
   */
  private boolean drainPushed() throws Exception {
    DsSession s = c.link.current();
    if (s == null) {
      return false;
    }
    boolean any = false;
    for (DsSession.Pushed p; (p = c.link.poll()) != null; ) {
      if (p.seq() <= c.state.queueSeq) {
        continue; // already read over HTTP
      }
      try {
        process(p.kind(), MlsMessage.fromBytes(p.message().unsafeArray()), p.groupId(), c.state.inbox);
      } catch (MlsException e) {
        c.problems.add(p.kind() + " #" + p.seq() + ": " + e.getMessage());
      }
      c.state.queueSeq = p.seq();
      c.link.readFromPushes.incrementAndGet();
      any = true;
    }
    if (any) {
      c.persist();
      s.ack(c.state.queueSeq);
    }
    return true;
  }

  void drain() throws Exception {
    c.resolvePendingCommits();
    List<Received> out = c.state.inbox;
    c.problems.clear();
    c.gaps.clear();
    c.changes.clear();
    if (drainPushed() && System.currentTimeMillis() - lastHttpRead < 30_000) {
      return;
    }
    lastHttpRead = System.currentTimeMillis();
    // Catching up is pipelined: the next page is read while this one is processed, and each
    // acknowledgement is awaited only when the next one is sent (or at the end).
    java.util.concurrent.CompletableFuture<org.jmls.ds.http.QueueBatch> next = c.ds.fetchQueueAsync(c.state.queueSeq, PAGE);
    java.util.concurrent.CompletableFuture<DsClient.Response> acked = null;
    try {
      while (true) {
        org.jmls.ds.http.QueueBatch batch;
        try {
          batch = await(next);
        } catch (DsClient.RefusedException e) {
          throw new ClientException(e.getMessage());
        }
        next = null;
        boolean rejoined = rejoinExpired(batch.expired());
        if (batch.messages().isEmpty()) {
          if (rejoined && batch.position() > c.state.queueSeq) {
            c.state.queueSeq = batch.position(); // past the expired stretch, so it is not reported again
            c.persist();
            acked = acknowledge(acked);
          }
          return;
        }
        List<org.jmls.ds.http.QueueBatch.Queued> page = batch.messages();
        // Where this page leaves the cursor: the DS says how far the read saw (past this device's own
        // messages); servers before the delivery log do not say, and the last message is the mark.
        long upto = Math.max(page.get(page.size() - 1).seq(), batch.position());
        if (!rejoined) {
          next = c.ds.fetchQueueAsync(upto, PAGE);
        }
        c.progress.accept("processing " + page.size() + " queued message(s)");
        processPage(page, out);
        c.state.queueSeq = Math.max(c.state.queueSeq, upto);
        // Persist the processed c.state before acknowledging, so nothing acknowledged is lost in a crash.
        c.persist();
        acked = acknowledge(acked);
        if (next == null) {
          next = c.ds.fetchQueueAsync(c.state.queueSeq, PAGE);
        }
      }
    } finally {
      if (next != null) {
        next.cancel(true);
      }
      if (acked != null) {
        MlsClient.check(await(acked), 200, "ack");
      }
    }
  }

  /** The DS's largest page: fewer round trips when catching up. */
  private static final int PAGE = 1000;

  /** Sends the acknowledgement of {@code c.state.queueSeq}, after checking the one before it. */
  private java.util.concurrent.CompletableFuture<DsClient.Response> acknowledge(
      java.util.concurrent.CompletableFuture<DsClient.Response> previous) throws Exception {
    if (previous != null) {
      MlsClient.check(await(previous), 200, "ack");
    }
    return c.ds.callAsync("POST", "/ds/queue/ack", Map.of("upto", c.state.queueSeq));
  }

  private static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws Exception {
    try {
      return f.get();
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause() instanceof java.util.concurrent.CompletionException && e.getCause().getCause() != null
          ? e.getCause().getCause() : e.getCause();
      if (cause instanceof Exception) {
        throw (Exception) cause;
      }
      throw e;
    }
  }

  /** Processes one page of the queue in order: runs of application messages of one group together. */
  private void processPage(List<org.jmls.ds.http.QueueBatch.Queued> page, List<Received> out) throws Exception {
    MlsMessage[] decoded = new MlsMessage[page.size()];
    for (int i = 0; i < page.size(); ) {
      int end = applicationRun(page, decoded, i);
      if (end - i > 1) {
        processApplications(page.subList(i, end), Arrays.asList(decoded).subList(i, end), out);
        c.state.queueSeq = page.get(end - 1).seq();
        i = end;
        continue;
      }
      org.jmls.ds.http.QueueBatch.Queued m = page.get(i);
      try {
        process(m.kind(), decoded[i] != null ? decoded[i] : MlsMessage.fromBytes(m.message().unsafeArray()), m.groupId(), out);
      } catch (MlsException e) {
        c.problems.add(m.kind() + " #" + m.seq() + ": " + e.getMessage());
      }
      c.state.queueSeq = m.seq();
      i++;
    }
  }

  /**
   * Groups where the DS's retention deleted messages this device never read: its c.state there can
   * no longer catch up, so it rejoins (external commit, RFC 9750 §5.8) when the group allows it,
   * and says so either way.
   */
  private boolean rejoinExpired(List<Bytes> gids) {
    if (gids.isEmpty()) {
      return false;
    }
    for (Bytes gid : gids) {
      if (!c.state.groups.containsKey(gid)) {
        continue;
      }
      try {
        c.recover(gid);
        c.problems.add("group " + gid.hex() + ": messages expired on the server before this device read them; rejoined");
      } catch (Exception e) {
        c.problems.add("group " + gid.hex() + ": messages expired on the server before this device read them, and rejoining failed: "
            + e.getMessage());
      }
    }
    return true;
  }

  /** Most messages held per group while waiting for the commit they depend on. */
  static final int EARLY_LIMIT = 256;

  private static long epochOf(MlsMessage msg) {
    if (msg.body() instanceof org.jmls.message.PrivateMessage) {
      return ((org.jmls.message.PrivateMessage) msg.body()).epoch();
    }
    if (msg.body() instanceof org.jmls.message.PublicMessage) {
      return ((org.jmls.message.PublicMessage) msg.body()).content().epoch();
    }
    return -1;
  }

  /**
   * Processes one message of {@code kind}; one for an epoch this device has not reached yet is held
   * (up to {@c.link #EARLY_LIMIT} per group) and processed once the commit it depends on is merged.
   */
  void process(String kind, MlsMessage msg, Bytes gid, List<Received> out) throws Exception {
    Group current = kind.equals("welcome") ? null : c.state.groups.get(gid);
    if (current != null && epochOf(msg) > current.epoch()) {
      List<ClientState.Early> held = c.state.early.computeIfAbsent(gid, k -> new ArrayList<>());
      if (held.size() >= EARLY_LIMIT) {
        throw new ValidationException("client.early-limit", "more than " + EARLY_LIMIT
            + " messages are waiting for an earlier commit in this group; dropped one for epoch " + epochOf(msg));
      }
      held.add(new ClientState.Early(kind, msg.toByteArray()));
      return;
    }
    long before = current == null ? -1 : current.epoch();
    processNow(kind, msg, gid, out);
    Group after = c.state.groups.get(gid);
    if (after != null && after.epoch() > before && c.state.early.containsKey(gid)) {
      List<ClientState.Early> held = c.state.early.remove(gid);
      for (ClientState.Early e : held) {
        try {
          process(e.kind(), MlsMessage.fromBytes(e.message()), gid, out);
        } catch (MlsException ex) {
          c.problems.add("held " + e.kind() + " for epoch " + epochOf(MlsMessage.fromBytes(e.message())) + ": " + ex.getMessage());
        }
      }
    }
  }

  private void processNow(String kind, MlsMessage msg, Bytes gid, List<Received> out) throws Exception {
    switch (kind) {
      case "welcome":
        join((Welcome) msg.body());
        break;
      case "commit": {
        Group g = c.state.groups.get(gid);
        if (g != null) {
          if (g.hasPendingCommit()) {
            g.discardPendingCommit();
          }
          String nameBefore = GroupName.of(g.context());
          Group.StagedCommit s = (Group.StagedCommit) g.process(msg);
          g.merge(s);
          if (s.removesMe()) {
            c.state.groups.remove(gid);
            c.state.forgotten.add(gid);
            c.changes.add(new GroupChange(gid, GroupChange.Kind.REMOVED, nameBefore, nameBefore));
          } else {
            String nameAfter = GroupName.of(g.context());
            if (!java.util.Objects.equals(nameBefore, nameAfter)) {
              c.changes.add(new GroupChange(gid, GroupChange.Kind.RENAMED, nameAfter, nameBefore));
            }
          }
        }
        break;
      }
      default: {
        Group g = c.state.groups.get(gid);
        if (g != null) {
          Group.Processed p = g.process(msg);
          if (p instanceof Group.ApplicationMessage) {
            received(gid, g, (Group.ApplicationMessage) p, out);
          }
        }
      }
    }
  }

  private void received(Bytes gid, Group g, Group.ApplicationMessage a, List<Received> out) throws ValidationException {
    received(gid, a, senderOf(g, a.senderLeaf()), out);
  }

  private void received(Bytes gid, Group.ApplicationMessage a, Sender sender, List<Received> out) {
    out.add(new Received(gid, sender.user(), sender.client(), new String(a.data().toByteArray(), java.nio.charset.StandardCharsets.UTF_8)));
    c.gaps.note(gid, a, sender.client());
  }

  /** Who sent from a leaf: its user and device, read from its credential (a certificate to parse). */
  private record Sender(String user, String client) {}

  private static Sender senderOf(Group g, int leaf) throws ValidationException {
    LeafNode node = g.member(leaf); // not members(): that is a map of every leaf
    return new Sender(X509Credentials.user(node.credential()), X509Credentials.client(node.credential()));
  }

  /**
   * The end of the run of application messages starting at {@code from} that are for one group this
   * device is in, at an epoch it has reached: they can be processed together. Decodes into
   * {@code decoded} what it looks at (left null when a message does not decode).
   */
  private int applicationRun(List<org.jmls.ds.http.QueueBatch.Queued> page, MlsMessage[] decoded, int from) {
    Bytes gid = page.get(from).groupId();
    Group g = c.state.groups.get(gid);
    int end = from;
    while (g != null && end < page.size()) {
      org.jmls.ds.http.QueueBatch.Queued m = page.get(end);
      if (!m.kind().equals("application") || !m.groupId().equals(gid)) {
        break;
      }
      try {
        decoded[end] = MlsMessage.fromBytes(m.message().unsafeArray());
      } catch (MlsException e) {
        break;
      }
      MlsMessage msg = decoded[end];
      if (!(msg.body() instanceof org.jmls.message.PrivateMessage)
          || ((org.jmls.message.PrivateMessage) msg.body()).contentType() != org.jmls.message.ContentType.APPLICATION
          || epochOf(msg) > g.epoch()) {
        break;
      }
      end++;
    }
    return end;
  }

  /** Application messages of one group, decrypted in order and their signatures checked in parallel (the group's workers). */
  private void processApplications(List<org.jmls.ds.http.QueueBatch.Queued> run, List<MlsMessage> msgs, List<Received> out)
      throws Exception {
    Bytes gid = run.get(0).groupId();
    Group g = c.state.groups.get(gid);
    List<Group.Outcome> outcomes = g.processApplications(msgs);
    Map<Integer, Sender> senders = new java.util.HashMap<>(); // a run has few senders: each credential parsed once
    for (int i = 0; i < run.size(); i++) {
      Group.Outcome o = outcomes.get(i);
      if (o.refusal() != null) {
        c.problems.add(run.get(i).kind() + " #" + run.get(i).seq() + ": " + o.refusal().getMessage());
        continue;
      }
      int leaf = o.message().senderLeaf();
      Sender sender = senders.get(leaf);
      if (sender == null) {
        sender = senderOf(g, leaf);
        senders.put(leaf, sender);
      }
      received(gid, o.message(), sender, out);
    }
  }

  private void join(Welcome w) throws Exception {
    for (Map.Entry<Bytes, KeyPackageBundle> e : c.state.keyPackages.entrySet()) {
      if (org.jmls.framing.WelcomeOpener.find(w, e.getKey()) != null) {
        Group g = Group.join(c.services, GroupPolicy::configFor, w, e.getValue(), c::treeFromDs);
        c.state.groups.put(g.groupId(), g);
        c.observe(g.groupId());
        c.changes.add(new GroupChange(g.groupId(), GroupChange.Kind.JOINED, GroupName.of(g.context()), null));
        return;
      }
    }
  }

}
