package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jmls.Bytes;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two federated providers as two real server processes ({@code org.jmls.server.Main}), each with
 * its own data folder (and database), talking over loopback, and devices using the SDK against
 * their own provider only: Alice (example.com) creates a group and adds Bob (example.org, two
 * devices) and Charlie (example.com); they talk; example.org is SIGKILLed mid-conversation and
 * restarted; nothing acknowledged is lost and everyone ends in one epoch with one epoch
 * authenticator. Then Alice removes Bob and his devices get nothing after their removal.
 */
class FederationProcessTest {
  private record Provider(String domain, Path data, int port, String jdbc, Path config) {
    String url() {
      return "http://127.0.0.1:" + port;
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String database(String db, String name) throws Exception {
    if (!db.equals("postgres")) {
      return null;
    }
    EmbeddedPostgres pg = org.jmls.service.Databases.postgres();
    String unique = name + System.nanoTime();
    try (var c = pg.getPostgresDatabase().getConnection(); var s = c.createStatement()) {
      s.execute("CREATE DATABASE " + unique);
    }
    return pg.getJdbcUrl("postgres", unique);
  }

  private static Provider provider(String domain, String db) throws Exception {
    Path data = Files.createTempDirectory("jmls-fed-" + domain);
    return new Provider(domain, data, freePort(), database(db, domain.replace(".", "_")), data.resolve("federation.json"));
  }

  /** Each names the other as its peer, its root the file the other writes as it starts. */
  private static void federate(Provider a, Provider b) throws Exception {
    for (Provider[] pair : new Provider[][] {{a, b}, {b, a}}) {
      Files.writeString(pair[0].config(), "{\"domain\": \"" + pair[0].domain() + "\", \"peers\": [{\"domain\": \"" + pair[1].domain()
          + "\", \"url\": \"" + pair[1].url() + "\", \"asRoot\": \"" + pair[1].data().resolve("as-root.pem") + "\"}]}");
    }
  }

  private static Process launch(Provider p) throws Exception {
    return org.jmls.server.ServerProcess.start(List.of("-Djmls.federation=" + p.config()), p.data(), p.port(), "adm", p.jdbc());
  }

  private static MlsClient device(Provider p, String user, String device) throws Exception {
    MlsClient c = new MlsClient(p.url(), user, device, TestServers.SUITE);
    c.enrol("adm", null, 2);
    return c;
  }

  /** Syncs {@code c} until it holds {@code n} more texts than {@code have}, waiting on the DS (its long-poll), not sleeping. */
  private static List<String> receive(MlsClient c, int n) throws Exception {
    List<String> got = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 60_000;
    while (got.size() < n) {
      assertTrue(System.currentTimeMillis() < deadline, c.clientId() + " got " + got.size() + " of " + n + ": " + got);
      for (MlsClient.Received r : c.syncWaiting(5_000)) {
        got.add(r.text());
      }
    }
    return got;
  }

  /** Syncs {@code c} (on the DS's long-poll) until it is, or is no longer, in the group; fails after 60 s. */
  private static void awaitMembership(MlsClient c, Bytes gid, boolean member) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (c.inGroup(gid) != member) {
      assertTrue(System.currentTimeMillis() < deadline, c.clientId() + (member ? " never joined" : " never learnt of its removal"));
      c.syncWaiting(5_000);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void twoProviderProcesses_talk_followerKilledAndRestarted_nothingLost(String db) throws Exception {
    Provider com = provider("example.com", db);
    Provider org = provider("example.org", db);
    federate(com, org);
    Process comProc = launch(com);
    Process orgProc = launch(org);
    try {
      MlsClient alice = device(com, "alice@example.com", "phone");
      MlsClient charlie = device(com, "charlie@example.com", "laptop");
      MlsClient bobPhone = device(org, "bob@example.org", "phone");
      MlsClient bobTablet = device(org, "bob@example.org", "tablet");

      Bytes gid = alice.createGroup("across");
      alice.addUsers(gid, List.of("bob@example.org", "charlie@example.com"));
      for (MlsClient c : List.of(charlie, bobPhone, bobTablet)) {
        awaitMembership(c, gid, true);
      }
      assertEquals(List.of("alice@example.com/phone", "bob@example.org/phone", "bob@example.org/tablet", "charlie@example.com/laptop"),
          alice.members(gid).stream().sorted().toList());

      bobPhone.send(gid, "hello from org");
      assertEquals(List.of("hello from org"), receive(alice, 1));
      assertEquals(List.of("hello from org"), receive(bobTablet, 1));
      assertEquals(List.of("hello from org"), receive(charlie, 1));

      // example.org dies in the middle of the conversation; Alice and Charlie go on; it comes back.
      orgProc.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      List<String> said = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        said.add("while org was down " + i);
        alice.send(gid, said.get(i));
      }
      long epochBefore = alice.epoch(gid);
      charlie.updateKeys(gid); // a commit while the follower is down
      orgProc = launch(org);
      assertEquals(said, receive(bobPhone, 20));
      assertEquals(said, receive(bobTablet, 20));
      receive(alice, 0);
      bobTablet.send(gid, "back");
      assertEquals(List.of("back"), receive(alice, 1));
      assertEquals(List.of("back"), receive(bobPhone, 1));
      List<String> charlieGot = receive(charlie, 21);
      assertEquals(said, charlieGot.subList(0, 20));
      assertEquals("back", charlieGot.get(20));
      assertTrue(alice.epoch(gid) > epochBefore);
      for (MlsClient c : List.of(charlie, bobPhone, bobTablet)) {
        assertEquals(alice.epoch(gid), c.epoch(gid), c.clientId());
        assertEquals(alice.epochAuthenticator(gid), c.epochAuthenticator(gid), c.clientId());
      }

      // Alice removes Bob: his devices learn it, and nothing said afterwards reaches them.
      alice.removeUser(gid, "bob@example.org");
      for (MlsClient c : List.of(bobPhone, bobTablet)) {
        awaitMembership(c, gid, false);
      }
      alice.send(gid, "only com now");
      assertEquals(List.of("only com now"), receive(charlie, 1));
      assertEquals(List.of(), bobPhone.syncWaiting(1_000));
    } finally {
      comProc.destroyForcibly();
      orgProc.destroyForcibly();
    }
  }

  /**
   * The hub SIGKILLed in the middle of a commit race between its user and a follower's user:
   * after its restart, whatever it had accepted stands (one commit per epoch, the SDK settles a
   * commit whose answer was lost from the log), messages it had acknowledged are all delivered,
   * and both members end in one epoch with one epoch authenticator.
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite"})
  void hubKilledMidRace_nothingAcknowledgedLost_oneWinnerPerEpoch(String db) throws Exception {
    Provider com = provider("example.com", db);
    Provider org = provider("example.org", db);
    federate(com, org);
    Process comProc = launch(com);
    Process orgProc = launch(org);
    try {
      MlsClient alice = device(com, "alice@example.com", "phone");
      MlsClient bob = device(org, "bob@example.org", "phone");
      Bytes gid = alice.createGroup("race");
      alice.addUsers(gid, List.of("bob@example.org"));
      awaitMembership(bob, gid, true);
      List<String> said = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        said.add("before the race " + i);
        alice.send(gid, said.get(i)); // returns once the hub stored it
      }
      // Both commit at once; the hub dies while their commits are in flight or just taken.
      Thread[] racers = new Thread[2];
      MlsClient[] who = {alice, bob};
      for (int k = 0; k < 2; k++) {
        MlsClient c = who[k];
        racers[k] = new Thread(() -> {
          try {
            c.updateKeys(gid);
          } catch (Exception lostOrRefused) {
            // the answer may be lost with the hub; the next sync settles it from the log
          }
        });
        racers[k].start();
      }
      comProc.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      for (Thread t : racers) {
        t.join(60_000);
      }
      comProc = launch(com);

      assertEquals(said, receive(bob, 10));
      // Each settles its own commit from the hub's log and takes the other's, if it won.
      alice.sync();
      bob.sync();
      alice.send(gid, "after the race");
      assertEquals(List.of("after the race"), receive(bob, 1));
      bob.send(gid, "agreed");
      assertEquals(List.of("agreed"), receive(alice, 1));
      assertEquals(alice.epoch(gid), bob.epoch(gid));
      assertEquals(alice.epochAuthenticator(gid), bob.epochAuthenticator(gid));
    } finally {
      comProc.destroyForcibly();
      orgProc.destroyForcibly();
    }
  }
}
