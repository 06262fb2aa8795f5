package org.jmls.client;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.as.X509Credentials;
import org.jmls.ds.http.CommitBundle;
import org.jmls.ds.http.DsClient;
import org.jmls.group.Group;
import org.jmls.message.LeafNode;
import org.jmls.message.Proposal;

/**
 * How {@link MlsClient} commits: the commit built and merged speculatively, recorded as pending
 * before it is posted (so a crash mid-post is settled from the DS's log on the next sync, never
 * half-merged), and on a lost race the group caught up (waiting for the winning commit the DS
 * names) and the intent computed again, up to {@link MlsClient#RETRIES} times.
 */
final class Committing {
  private final MlsClient client;

  Committing(MlsClient client) {
    this.client = client;
  }

  /** The intent behind a commit, re-computed after losing a race. */
  @FunctionalInterface
  interface Intent {
    List<Proposal> proposals(Group g) throws Exception;
  }

  private static Set<String> clientsOf(java.util.Collection<LeafNode> leaves) throws ValidationException {
    Set<String> out = new java.util.TreeSet<>();
    for (LeafNode l : leaves) {
      out.add(X509Credentials.client(l.credential()));
    }
    return out;
  }

  /**
   * Settles commits whose DS answer never arrived (a crash or a lost connection while posting): the
   * DS's log says which commit was accepted in that epoch; the merged state is kept only if it was
   * this device's. Otherwise the group stays where it was and the winner arrives through the queue.
   */
  void resolvePending() throws Exception {
    for (Map.Entry<Bytes, ClientState.PendingCommit> e : new ArrayList<>(client.state.pendingCommits.entrySet())) {
      Bytes gid = e.getKey();
      ClientState.PendingCommit pc = e.getValue();
      DsClient.Response r = client.ds.call("GET", "/ds/groups/" + gid.hex() + "/log?epoch=" + pc.epoch(), null);
      if (r.status() == 429 || r.status() >= 500) {
        MlsClient.check(r, 200, "settling an unanswered commit");
      }
      boolean won = false;
      if (r.status() == 200) {
        for (Object o : (List<?>) r.json().get("entries")) {
          won |= java.util.Arrays.equals(pc.commit(), MlsClient.unb64(((Map<?, ?>) o).get("data")));
        }
      }
      if (won && client.state.groups.containsKey(gid) && client.state.groups.get(gid).epoch() == pc.epoch()) {
        client.state.groups.put(gid, Group.restore(client.services, pc.state()));
        client.observe(gid);
        client.progress.accept("a commit posted before a crash had won epoch " + pc.epoch() + "; its state is kept");
      }
      client.state.pendingCommits.remove(gid);
      client.persist();
    }
  }

  /** Commits {@code intent}; on a lost race, catches up and retries. */
  long commit(Bytes gid, String what, Intent intent, boolean forcePath) throws Exception {
    resolvePending();
    boolean caughtUp = false;
    for (int attempt = 0; attempt < MlsClient.RETRIES; attempt++) {
      Group g = client.group(gid);
      List<Proposal> proposals;
      try {
        proposals = intent.proposals(g);
      } catch (MlsClient.ClientException notInThisEpoch) {
        if (caughtUp) {
          throw notInThisEpoch;
        }
        // This device may be behind (a member added or removed since it last read): catch up, decide again.
        client.drain();
        caughtUp = true;
        attempt--;
        continue;
      }
      Group.Snapshot rollback = g.snapshot(); // cheap at any size: the trees are shared, not serialized
      Group.CommitResult c = g.commit(proposals, forcePath);
      // One binary bundle (no base64), the GroupInfo without the tree: a public-handshake group's DS
      // derives the tree from the commit; for an encrypted one it gets what the commit changed.
      List<String> added = List.of();
      List<String> removed = List.of();
      org.jmls.ds.TreeChanges changes = null;
      if (g.config().encryptHandshakes()) {
        // The DS cannot read an encrypted commit: declare the roster change (RFC 9750 §5.5 leaves the
        // DS to trust members here). Devices are compared by client id, so a resync keeps its device.
        Set<String> before = clientsOf(g.members().values());
        Set<String> after = clientsOf(client.treeOf(c.groupInfo()).values());
        added = after.stream().filter(d -> !before.contains(d)).sorted().toList();
        removed = before.stream().filter(d -> !after.contains(d)).sorted().toList();
        changes = org.jmls.ds.TreeChanges.between(g.tree().toNodes(), MlsClient.treeNodesOf(c.groupInfo()));
      }
      byte[] bundle = new CommitBundle(c.commit(), c.groupInfo(false), c.welcome(), added, removed, changes).toByteArray();
      // Merge speculatively and record the outcome-to-be before posting: if this device dies while
      // the DS decides, the next sync asks the DS which commit won the epoch and keeps this state
      // only if it was ours (never half-merged, never a lost epoch).
      long epochBefore = g.epoch();
      g.mergePendingCommit();
      client.state.pendingCommits.put(gid, new ClientState.PendingCommit(epochBefore, c.commit().toByteArray(), g.snapshot()));
      client.state.inFlight.put(gid, rollback);
      DsClient.Response r;
      try {
        client.persist(); // the store keeps the state before this commit until the DS's answer is known
        client.beforePost.run();
        r = client.ds.send("POST", "/ds/groups/commit", bundle, CommitBundle.MEDIA_TYPE);
        client.afterPost.accept(r.status());
      } catch (Exception e) {
        client.state.groups.put(gid, Group.restore(client.services, rollback)); // the pending record settles it on the next sync
        if (e instanceof IOException) {
          throw new MlsClient.ClientException(what + ": the DS did not answer (" + e.getMessage() + "); the next sync learns whether the commit won");
        }
        throw e;
      } finally {
        client.state.inFlight.remove(gid);
      }
      client.state.pendingCommits.remove(gid);
      if (r.status() == 200) {
        client.leafAges.observeLeaf(gid, g, g.myLeafIndex(), client.clock.instant().getEpochSecond()); // not every leaf: O(1) at any size
        client.persist();
        client.wire.sent(what + ": commit", c.commit().toByteArray().length, g.epoch());
        if (c.welcome() != null) {
          client.wire.sent(what + ": Welcome", c.welcome().toByteArray().length, g.epoch());
        }
        client.wire.sent(what + ": upload", bundle.length, g.epoch()); // the whole bundle: commit, GroupInfo (no tree), Welcome
        return g.epoch();
      }
      client.state.groups.put(gid, Group.restore(client.services, rollback));
      client.persist(); // the group is back at its state before this commit
      if (r.status() != 409) {
        MlsClient.check(r, 200, what);
      }
      client.progress.accept(what + ": another member's commit won epoch " + epochBefore + "; catching up, then retrying ("
          + (attempt + 2) + "/" + MlsClient.RETRIES + ")");
      client.drain();
      // The DS says where the group is; the winning commit may not be in this device's queue yet
      // (a follower provider gets it from the hub a moment later): wait for it rather than build a
      // commit that is sure to lose.
      if (r.json() != null && r.json().get("currentEpoch") instanceof Number current) {
        awaitEpoch(gid, current.longValue(), CATCH_UP_WAIT_MILLIS);
      }
    }
    throw new MlsClient.ClientException(what + " lost " + MlsClient.RETRIES + " commit races in a row; try again later");
  }

  /** How long a device that lost a commit race waits for the winning commit to reach its queue. */
  private static final long CATCH_UP_WAIT_MILLIS = 10_000;

  /** Reads (on the DS's long-poll) until the group reaches {@code epoch}, for at most {@code millis}. */
  private void awaitEpoch(Bytes gid, long epoch, long millis) throws Exception {
    long deadline = System.currentTimeMillis() + millis;
    while (client.state.groups.containsKey(gid) && client.group(gid).epoch() < epoch) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return; // the retry finds out
      }
      client.ds.call("GET", "/ds/queue?after=" + client.state.queueSeq + "&limit=1&wait=" + Math.min(left, 30_000), null);
      client.drain();
    }
  }

}
