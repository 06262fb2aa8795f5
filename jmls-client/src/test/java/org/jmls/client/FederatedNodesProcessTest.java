package org.jmls.client;

import static org.jmls.client.FederatedProviders.awaitMembership;
import static org.jmls.client.FederatedProviders.device;
import static org.jmls.client.FederatedProviders.federate;
import static org.jmls.client.FederatedProviders.freePort;
import static org.jmls.client.FederatedProviders.launch;
import static org.jmls.client.FederatedProviders.metric;
import static org.jmls.client.FederatedProviders.provider;
import static org.jmls.client.FederatedProviders.receive;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jmls.Bytes;
import org.jmls.client.FederatedProviders.Provider;
import org.junit.jupiter.api.Test;

/**
 * A hub provider run as two node processes on one embedded PostgreSQL (example.com, nodes n1 and
 * n2) and a follower (example.org, one process): exactly one hub node delivers to the follower, the
 * one holding example.org's delivery lease, and it delivers what both nodes append, woken by the
 * other node's appends as well as its own; the other sends nothing. SIGKILLed, it is replaced by the
 * other node at once, which goes on from the position last acknowledged with nothing lost or
 * repeated; restarted, it rejoins without taking the delivery back. A follower's wake, taken by the
 * node that does not deliver, ends the delivering node's backoff.
 */
class FederatedNodesProcessTest {
  private static final String DELIVERING = "jmls_federation_delivering{peer=\"example.org\"}";
  private static final String DELIVERED = "jmls_federation_delivered_total{peer=\"example.org\"}";
  private static final String FAILURES = "jmls_federation_failures_total{peer=\"example.org\"}";

  /** How long a message appended at the node that does not deliver may take to reach example.org: far less than the 30-second look. */
  private static final long PROMPTLY = 10_000;

  @Test
  void hubOnTwoNodes_oneDeliversToTheFollower_theOtherTakesOverWhenItDies() throws Exception {
    Provider n1 = provider("example.com", "postgres");
    Provider n2 = new Provider("example.com", Files.createTempDirectory("jmls-fed-example.com"), freePort(), n1.jdbc(), n1.config());
    Provider org = provider("example.org", "sqlite");
    federate(n1, org); // example.org knows the hub by n1's address; both hub nodes read one configuration
    Provider[] hub = {n1, n2};
    Process[] nodes = new Process[2];
    Process orgProc = null;
    try {
      nodes[0] = launch(n1, "-Djmls.node=n1");
      nodes[1] = launch(n2, "-Djmls.node=n2");
      orgProc = launch(org);
      MlsClient[] users = {device(n1, "alice@example.com", "phone"), device(n2, "charlie@example.com", "laptop")};
      MlsClient bob = device(org, "bob@example.org", "phone");
      Bytes gid = users[0].createGroup("nodes");
      users[0].addUsers(gid, List.of("bob@example.org", "charlie@example.com"));
      awaitMembership(users[1], gid, true);
      awaitMembership(bob, gid, true);

      List<String> said = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        for (int k = 0; k < 2; k++) {
          said.add("n" + (k + 1) + " says " + i);
          users[k].send(gid, said.get(said.size() - 1));
        }
      }
      assertEquals(said, receive(bob, said.size()));
      int owner = metric(n1.url(), DELIVERING) == 1.0 ? 0 : 1;
      int other = 1 - owner;
      assertEquals(1.0, metric(hub[owner].url(), DELIVERING));
      assertEquals(0.0, metric(hub[other].url(), DELIVERING), "one node delivers to example.org");
      assertEquals(0.0, metric(hub[other].url(), DELIVERED), "the other sends it nothing");
      assertTrue(metric(hub[owner].url(), DELIVERED) > 0);

      // Appended at the node that does not deliver: its notification wakes the node that does.
      List<String> fromOther = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        fromOther.add("only n" + (other + 1) + " " + i);
      }
      users[other].sendAll(gid, fromOther);
      assertEquals(fromOther, receive(bob, fromOther.size(), PROMPTLY));

      // The delivering node dies: the other takes over, from what example.org acknowledged.
      nodes[owner].destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      List<String> afterDeath = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        afterDeath.add("after n" + (owner + 1) + " died " + i);
        users[other].send(gid, afterDeath.get(i));
      }
      assertEquals(afterDeath, receive(bob, afterDeath.size()));
      assertEquals(1.0, metric(hub[other].url(), DELIVERING));

      // Restarted, it rejoins and leaves the delivery where it is; what it appends still reaches example.org.
      nodes[owner] = launch(hub[owner], "-Djmls.node=n" + (owner + 1));
      users[other].send(gid, "welcome back");
      users[owner].send(gid, "back on n" + (owner + 1));
      assertEquals(List.of("welcome back", "back on n" + (owner + 1)), receive(bob, 2, PROMPTLY));
      assertEquals(0.0, metric(hub[owner].url(), DELIVERING));
      assertEquals(1.0, metric(hub[other].url(), DELIVERING));
      assertEquals(List.of(), bob.syncWaiting(500), "nothing delivered twice");

      // example.org away long enough for the delivering node to back off for 25.6 s; it comes back
      // knowing the hub by the address of the node that does not deliver, and its wake reaches the
      // delivering node through the database's notifications, which ends the backoff at once.
      orgProc.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      double failed = metric(hub[other].url(), FAILURES);
      users[other].send(gid, "while example.org was away");
      long deadline = System.currentTimeMillis() + 120_000;
      while (metric(hub[other].url(), FAILURES) < failed + 9) {
        assertTrue(System.currentTimeMillis() < deadline, "the delivering node's attempts: " + (metric(hub[other].url(), FAILURES) - failed));
        Thread.sleep(100); // polls the metric; the condition is the delivering node's ninth failed attempt, after which it waits 25.6 s
      }
      federate(hub[owner], org);
      orgProc = launch(org);
      assertEquals(List.of("while example.org was away"), receive(bob, 1, PROMPTLY));
    } finally {
      for (Process p : nodes) {
        if (p != null) {
          p.destroyForcibly();
        }
      }
      if (orgProc != null) {
        orgProc.destroyForcibly();
      }
    }
  }
}
