package org.jmls.federation;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.ds.http.CommitBundle;
import org.jmls.ds.http.DsClient;
import org.jmls.ds.http.QueueBatch;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.KeyPackages;
import org.jmls.message.KeyPackage;
import org.jmls.message.Lifetime;
import org.jmls.message.MlsMessage;
import org.jmls.message.Welcome;

/**
 * A device for the federation tests, as thin as a client gets: its MLS state ({@link Group}) and
 * its own provider's DS over HTTP, nothing else (the SDK sits above this module). It reads its
 * queue in order and acknowledges what it read.
 */
final class Member {
  final Provider.Device device;
  final KeyPackageBundle keyPackage;
  Group group;
  long cursor;
  final List<String> received = new ArrayList<>();

  Member(Provider.Device device, KeyPackageBundle keyPackage) {
    this.device = device;
    this.keyPackage = keyPackage;
  }

  /** A device registered at {@code p} whose one KeyPackage (held here, with its secrets) is uploaded. */
  static Member of(Provider p, String user, String name) throws Exception {
    Provider.Device d = p.device(user, name, 0);
    long now = System.currentTimeMillis() / 1000;
    KeyPackageBundle kp = KeyPackages.create(Provider.C, d.issued().credential(), d.key(), KeyPackages.defaultCapabilities(Provider.SUITE),
        new Lifetime(now - 60, now + 86400), List.of(), List.of());
    DsClient.Response r = d.ds().call("POST", "/ds/key-packages", Map.of("keyPackages",
        List.of(Map.of("data", Provider.b64(MlsMessage.of(kp.keyPackage()).toByteArray()), "lastResort", false))));
    if (r.status() != 201) {
      throw new IllegalStateException("upload refused " + r.json());
    }
    return new Member(d, kp);
  }

  String id() {
    return device.clientId();
  }

  /** Creates a group (public handshakes, external joins allowed) at this device's DS. */
  void create(GroupServices services, byte[] groupId) throws Exception {
    create(services, groupId, true);
  }

  /** Creates a group (public handshakes) at this device's DS. */
  void create(GroupServices services, byte[] groupId, boolean externalJoins) throws Exception {
    group = Group.create(services, GroupConfig.defaults(), Bytes.wrap(groupId), keyPackage, List.of());
    DsClient.Response r = device.ds().call("POST", "/ds/groups", Map.of("groupInfo",
        Base64.getEncoder().encodeToString(group.groupInfo(true).toByteArray()), "publicHandshakes", true, "externalJoins", externalJoins));
    if (r.status() != 201) {
      throw new IllegalStateException("create refused " + r.json());
    }
  }

  /** Claims the KeyPackages of every device of {@code users} through this device's DS. */
  @SuppressWarnings("unchecked")
  List<KeyPackage> claim(String... users) throws Exception {
    DsClient.Response r = device.ds().call("POST", "/ds/key-packages/claim", Map.of("userIds", List.of(users)));
    if (r.status() != 200) {
      throw new IllegalStateException("claim refused " + r.json());
    }
    List<KeyPackage> out = new ArrayList<>();
    for (Map<String, Object> e : (List<Map<String, Object>>) r.json().get("keyPackages")) {
      out.add((KeyPackage) MlsMessage.fromBytes(Base64.getDecoder().decode((String) e.get("data"))).body());
    }
    return out;
  }

  /**
   * Claims the KeyPackages of the joiners' users and commits the adds of exactly the joiners'
   * devices (other devices of those users are left out); the DS's answer.
   */
  DsClient.Response add(Member... joiners) throws Exception {
    java.util.Set<Bytes> keys = new java.util.HashSet<>();
    java.util.Set<String> users = new java.util.LinkedHashSet<>();
    for (Member j : joiners) {
      keys.add(j.device.key().publicKey());
      users.add(j.id().substring(0, j.id().indexOf('/')));
    }
    List<org.jmls.message.Proposal> adds = new ArrayList<>();
    for (KeyPackage kp : claim(users.toArray(String[]::new))) {
      if (keys.contains(kp.leafNode().signatureKey())) {
        adds.add(new org.jmls.message.Proposal.Add(kp));
      }
    }
    return commit(adds);
  }

  /** Posts a commit of {@code proposals} (tree inline in the Welcome); the DS's answer; merged when accepted. */
  DsClient.Response commit(List<org.jmls.message.Proposal> proposals) throws Exception {
    Group.CommitResult c = group.commit(List.of(), proposals, true, true);
    DsClient.Response r = device.ds().send("POST", "/ds/groups/commit",
        new CommitBundle(c.commit(), c.groupInfo(false), c.welcome(), List.of(), List.of()).toByteArray(), CommitBundle.MEDIA_TYPE);
    if (r.status() == 200) {
      group.mergePendingCommit();
    } else {
      group.discardPendingCommit();
    }
    return r;
  }

  DsClient.Response send(String text) throws Exception {
    return device.ds().send("POST", "/ds/messages", group.encrypt(text.getBytes(), new byte[0]).toByteArray(), "message/mls");
  }

  /**
   * Reads the queue until {@code texts} messages have arrived in all (waiting on the DS's
   * long-poll, not sleeping), processing each in order; joins on a Welcome.
   */
  void readUntil(GroupServices services, int texts) throws Exception {
    readWhile(services, () -> received.size() < texts);
  }

  /** Reads the queue until this device's group reached {@code epoch}. */
  void readUntilEpoch(GroupServices services, long epoch) throws Exception {
    readWhile(services, () -> group == null || group.epoch() < epoch);
  }

  /** Reads the queue until this device has joined the group (its Welcome arrived). */
  void join(GroupServices services) throws Exception {
    readWhile(services, () -> group == null);
  }

  private void readWhile(GroupServices services, java.util.function.BooleanSupplier more) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    while (more.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError(id() + " waited 30 s; joined: " + (group != null) + ", received: " + received);
      }
      DsClient.Response r = device.ds().call("GET", "/ds/queue?after=" + cursor + "&limit=100&wait=5000", null);
      if (r.status() != 200) {
        throw new IllegalStateException("queue refused " + r.json());
      }
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> messages = (List<Map<String, Object>>) r.json().get("messages");
      for (Map<String, Object> m : messages) {
        long seq = ((Number) m.get("seq")).longValue();
        MlsMessage msg = MlsMessage.fromBytes(Base64.getDecoder().decode((String) m.get("data")));
        if (msg.body() instanceof Welcome w) {
          group = Group.join(services, GroupConfig.defaults(), w, keyPackage, null);
        } else if (group != null) {
          Group.Processed p = group.process(msg);
          if (p instanceof Group.ApplicationMessage a) {
            received.add(new String(a.data().toByteArray()));
          } else if (p instanceof Group.StagedCommit s) {
            group.merge(s);
          }
        }
        cursor = seq;
      }
      if (!messages.isEmpty()) {
        device.ds().call("POST", "/ds/queue/ack", Map.of("upto", cursor));
      }
    }
  }
}
