package org.jmls.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jmls.ds.http.DsClient;
import org.jmls.message.KeyPackage;
import org.jmls.message.Proposal;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A group spanning two providers, example.com (the hub: Alice created the group there) and
 * example.org (Bob, two devices), each with its own AS, DS and database, on real HTTP on loopback.
 * Every device talks only to its own provider. Bob's devices join by the Welcome the hub delivers
 * to example.org; Bob's messages and commits go through example.org to the hub, which orders them
 * and delivers them back to example.org once per message for both of Bob's devices; one commit wins
 * each epoch; a forged relay is refused; example.org offline while Alice talks gets everything on
 * return, in order.
 */
class FederatedGroupTest {
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void groupAcrossProviders_talkCommitRaceAndCatchUp(String db) throws Exception {
    try (Provider com = Provider.create("example.com", db); Provider org = Provider.create("example.org", db)) {
      Provider.federate(com, org);

      Member alice = Member.of(com, "alice@example.com", "phone");
      Member charlie = Member.of(com, "charlie@example.com", "laptop");
      Member bobPhone = Member.of(org, "bob@example.org", "phone");
      Member bobTablet = Member.of(org, "bob@example.org", "tablet");

      alice.create(com.clients, new byte[] {7, 1, 7});
      List<Proposal> adds = new ArrayList<>();
      for (KeyPackage kp : alice.claim("bob@example.org", "charlie@example.com")) {
        adds.add(new Proposal.Add(kp));
      }
      assertEquals(3, adds.size());
      DsClient.Response added = alice.commit(adds);
      assertEquals(200, added.status(), () -> String.valueOf(added.json()));

      // Welcomes: Charlie's from his own DS, Bob's delivered by the hub to example.org.
      charlie.join(com.clients);
      bobPhone.join(org.clients);
      bobTablet.join(org.clients);
      assertNotNull(bobPhone.group, "bob's phone joined");
      assertNotNull(bobTablet.group, "bob's tablet joined");
      assertEquals(alice.group.epoch(), bobTablet.group.epoch());
      assertEquals(alice.group.epoch(), charlie.group.epoch());
      assertEquals(alice.group.epochAuthenticator(), charlie.group.epochAuthenticator(), "charlie");
      assertEquals(alice.group.epochAuthenticator(), bobTablet.group.epochAuthenticator(), "bob");

      // Bob talks through his provider; everyone else hears it, Bob's other device through example.org.
      DsClient.Response sent = bobPhone.send("hello from org");
      assertEquals(200, sent.status(), () -> String.valueOf(sent.json()));
      assertEquals(200, alice.send("hello from com").status());
      alice.readUntil(com.clients, 1);
      charlie.readUntil(com.clients, 2);
      bobTablet.readUntil(org.clients, 2);
      bobPhone.readUntil(org.clients, 1);
      assertEquals(List.of("hello from org"), alice.received);
      assertEquals(List.of("hello from org", "hello from com"), bobTablet.received);
      assertEquals(List.of("hello from com"), bobPhone.received);

      // The group is hosted by example.com: example.org does not let one of its users create a group of that id.
      Member dave = Member.of(org, "dave@example.org", "phone");
      IllegalStateException taken = assertThrows(IllegalStateException.class,
          () -> dave.create(org.clients, new byte[] {7, 1, 7}));
      assertTrue(taken.getMessage().contains("ds.group-exists") && taken.getMessage().contains("hosted by example.com"), taken.getMessage());

      // A delivery that keeps up takes what the hub appends in memory: no outbox read, one message at a time.
      long reads = traffic(com).outboxReads();
      long delivered = traffic(com).delivered();
      for (int i = 0; i < 20; i++) {
        assertEquals(200, alice.send("kept up " + i).status());
        bobTablet.readUntil(org.clients, bobTablet.received.size() + 1);
        assertEquals("kept up " + i, bobTablet.received.get(bobTablet.received.size() - 1));
      }
      // Bob's tablet may read the last one before the hub has counted example.org's answer: wait for that.
      assertTrue(com.federation.awaitDelivered(org.domain, java.time.Duration.ofSeconds(30)), "the hub's deliveries settle");
      assertEquals(reads, traffic(com).outboxReads(), "entries handed over in memory");
      assertTrue(traffic(com).delivered() >= delivered + 20, "each delivered");

      // A race for one epoch from both providers: exactly one commit wins.
      DsClient.Response fromOrg = bobPhone.commit(List.of());
      DsClient.Response fromCom = charlie.commit(List.of());
      assertEquals(1, (fromOrg.status() == 200 ? 1 : 0) + (fromCom.status() == 200 ? 1 : 0), fromOrg.json() + " / " + fromCom.json());
      DsClient.Response lost = fromOrg.status() == 200 ? fromCom : fromOrg;
      assertEquals(409, lost.status());
      assertEquals("ds.stale-epoch", lost.json().get("error"));
      long epoch = (fromOrg.status() == 200 ? bobPhone : charlie).group.epoch();
      for (Member m : List.of(alice, charlie, bobPhone, bobTablet)) {
        m.readUntilEpoch(m.id().endsWith("example.org/phone") || m.id().endsWith("example.org/tablet") ? org.clients : com.clients, epoch);
      }
      assertEquals(200, alice.send("after the race").status());
      for (Member m : List.of(charlie, bobPhone, bobTablet)) {
        m.readUntil(m == charlie ? com.clients : org.clients, m.received.size() + 1);
      }
      assertEquals(alice.group.epochAuthenticator(), bobPhone.group.epochAuthenticator());
      assertEquals(alice.group.epochAuthenticator(), bobTablet.group.epochAuthenticator());
      assertEquals(alice.group.epochAuthenticator(), charlie.group.epochAuthenticator());

      // example.org offline while Alice says 50 things: on its return it gets every one, in order.
      // The hub retries with a backoff that Alice's appends do not cut short (each would otherwise be
      // one more failed attempt, and the backoff would reach its 30 s cap); org's return ends it.
      long failed = traffic(com).failures();
      org.stop();
      List<String> said = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        said.add("while you were away " + i);
        assertEquals(200, alice.send(said.get(i)).status());
      }
      org.start(com);
      int before = bobTablet.received.size();
      bobTablet.readUntil(org.clients, before + 50);
      assertEquals(said, bobTablet.received.subList(before, before + 50));
      long retries = traffic(com).failures() - failed;
      assertTrue(retries >= 1 && retries <= 12, "attempts to reach example.org while it was down: " + retries);
    }
  }

  private static Federation.PeerTraffic traffic(Provider hub) {
    return hub.federation.traffic().stream().filter(t -> t.peer().equals("example.org")).findFirst().orElseThrow();
  }

  @SuppressWarnings("unchecked")
  private static List<Object> clientIds(DsClient.Response r) {
    assertEquals(200, r.status(), () -> String.valueOf(r.json()));
    return ((List<Map<String, Object>>) r.json().get("keyPackages")).stream().map(e -> e.get("clientId")).toList();
  }

  /**
   * A device of example.org revoked by its AS: its own provider refuses its posts and no longer
   * hands out its KeyPackages, and the hub leaves out the KeyPackages of a revoked device that
   * example.org has not yet noticed (asked of example.org's AS; here without caching the answer).
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite"})
  void remoteRevocation_honouredByTheFollowerAndTheHub(String db) throws Exception {
    try (Provider com = Provider.create("example.com", db); Provider org = Provider.create("example.org", db)) {
      com.statusTtl = java.time.Duration.ZERO;
      Provider.federate(com, org);
      Member alice = Member.of(com, "alice@example.com", "phone");
      Member bob = Member.of(org, "bob@example.org", "phone");
      org.device("bob@example.org", "spare", 1); // a valid device next to the one revoked below
      alice.create(com.clients, new byte[] {7, 2, 7});
      assertEquals(200, alice.add(bob).status());
      bob.join(org.clients);
      assertEquals(200, bob.send("before").status());
      alice.readUntil(com.clients, 1);

      org.as.revoke(bob.device.issued().serial(), "admin");
      org.ds.credentialRecheck(java.time.Duration.ofSeconds(30)); // forgets the checks made so far
      DsClient.Response refused = bob.send("after");
      assertEquals(401, refused.status(), () -> String.valueOf(refused.json()));

      // A device revoked just after it uploaded: example.org's DS still holds it valid (checked moments
      // ago), hands it out, and the hub, asking example.org's AS, leaves it out; Bob's other device goes on.
      org.as.revoke(org.device("bob@example.org", "doomed", 1).issued().serial(), "admin");
      DsClient.Response claim = alice.device.ds().call("POST", "/ds/key-packages/claim", Map.of("userIds", List.of("bob@example.org")));
      assertEquals(200, claim.status(), () -> String.valueOf(claim.json()));
      assertEquals(List.of("bob@example.org/spare"), clientIds(claim)); // the phone, revoked above, is left out by example.org
      assertEquals(null, com.ds.remoteClients().device("bob@example.org/doomed"), "a device left out is not recorded");
      // Once example.org's DS checks again, it no longer hands out the revoked devices at all, to its own users either.
      org.ds.credentialRecheck(java.time.Duration.ofSeconds(30));
      DsClient.Response local = org.device("dora@example.org", "phone", 1).ds().call("POST", "/ds/key-packages/claim",
          Map.of("userIds", List.of("bob@example.org")));
      assertEquals(List.of("bob@example.org/spare"), clientIds(local));
    }
  }

  /**
   * The GroupInfo and tree of a group hosted at example.com, asked of example.org by a device there
   * that is not a member (as for an external join): served by the hub through the follower, then by
   * the follower alone while the hub is down; the GroupInfo is asked again once a commit of the group
   * reached example.org. A members-only group's tree is never kept by the follower.
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite"})
  void groupInfo_servedByTheHub_cachedByTheFollower_untilTheNextCommit(String db) throws Exception {
    try (Provider com = Provider.create("example.com", db); Provider org = Provider.create("example.org", db)) {
      Provider.federate(com, org);
      Member alice = Member.of(com, "alice@example.com", "phone");
      Member bob = Member.of(org, "bob@example.org", "phone");
      Provider.Device dora = org.device("dora@example.org", "phone", 1);
      alice.create(com.clients, new byte[] {7, 3, 7});
      assertEquals(200, alice.add(bob).status());
      bob.join(org.clients);
      String path = "/ds/groups/" + alice.group.groupId().hex() + "/group-info";

      String treePath = "/ds/groups/" + alice.group.groupId().hex() + "/tree?epoch=" + alice.group.epoch();

      DsClient.Response first = dora.ds().call("GET", path, null);
      assertEquals(200, first.status(), () -> String.valueOf(first.json()));
      assertEquals(alice.group.epoch(), epochOf(first));
      DsClient.Response tree = dora.ds().call("GET", treePath, null);
      assertEquals(200, tree.status(), () -> String.valueOf(tree.json()));

      // A group without external joins: its tree is for members only, so the follower keeps no copy to give away.
      Member alice2 = Member.of(com, "alice@example.com", "laptop");
      Member bob2 = Member.of(org, "bob@example.org", "laptop");
      alice2.create(com.clients, new byte[] {7, 4, 7}, false);
      assertEquals(200, alice2.add(bob2).status());
      bob2.join(org.clients);
      String closedTree = "/ds/groups/" + alice2.group.groupId().hex() + "/tree?epoch=" + alice2.group.epoch();
      assertEquals(200, bob2.device.ds().call("GET", closedTree, null).status(), "a member reads it through its provider");
      DsClient.Response notForDora = dora.ds().call("GET", closedTree, null);
      assertEquals(403, notForDora.status(), () -> String.valueOf(notForDora.json()));

      com.stop();
      DsClient.Response cached = dora.ds().call("GET", path, null);
      assertEquals(200, cached.status(), "served by example.org while the hub is down");
      assertEquals(alice.group.epoch(), epochOf(cached));
      DsClient.Response cachedTree = dora.ds().call("GET", treePath, null);
      assertEquals(200, cachedTree.status(), "the tree too");
      assertEquals(java.util.HexFormat.of().formatHex(tree.raw()), java.util.HexFormat.of().formatHex(cachedTree.raw()));
      assertEquals(503, bob2.device.ds().call("GET", closedTree, null).status(), "a members-only tree is always asked of the hub");

      com.start(org);
      assertEquals(200, alice.commit(List.of()).status());
      bob.readUntilEpoch(org.clients, alice.group.epoch()); // the commit reached example.org
      DsClient.Response fresh = dora.ds().call("GET", path, null);
      assertEquals(200, fresh.status(), () -> String.valueOf(fresh.json()));
      assertEquals(alice.group.epoch(), epochOf(fresh), "the GroupInfo after the commit, not the cached one");
    }
  }

  private static long epochOf(DsClient.Response r) throws Exception {
    org.jmls.message.MlsMessage m = org.jmls.message.MlsMessage.fromBytes(r.raw());
    return ((org.jmls.message.GroupInfo) m.body()).groupContext().epoch();
  }
}
