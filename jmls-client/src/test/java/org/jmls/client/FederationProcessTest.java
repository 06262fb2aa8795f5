package org.jmls.client;

import static org.jmls.client.FederatedProviders.HTTP;
import static org.jmls.client.FederatedProviders.awaitMembership;
import static org.jmls.client.FederatedProviders.device;
import static org.jmls.client.FederatedProviders.federate;
import static org.jmls.client.FederatedProviders.launch;
import static org.jmls.client.FederatedProviders.provider;
import static org.jmls.client.FederatedProviders.receive;
import static org.jmls.client.FederatedProviders.revoke;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jmls.Bytes;
import org.jmls.client.FederatedProviders.Provider;
import org.jmls.as.AuthenticationService;
import org.jmls.crypto.DefaultCryptoProvider;
import org.jmls.crypto.Secret;
import org.jmls.federation.ProviderRequest;
import org.jmls.service.Database;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two federated providers as two real server processes ({@code org.jmls.server.Main}), each with
 * its own data folder (and database: SQLite or PostgreSQL), talking over loopback, and devices
 * using the SDK against their own provider only: Alice (example.com, the hub) creates a group and
 * adds Bob (example.org, two devices) and Charlie (example.com); they talk; example.org is
 * SIGKILLed while Alice says 1,000 things and Charlie commits, and restarted: everything arrives in
 * order and everyone ends with one epoch authenticator. Revocations at example.org are honoured by
 * both providers, a removed remote user gets nothing more, commit races between the domains have
 * one winner per epoch, a follower posing as the hub's users is refused, and the hub SIGKILLed
 * mid-race loses nothing it acknowledged.
 */
class FederationProcessTest {
  /** How many messages example.com's users send while example.org is down. */
  private static final int OFFLINE_MESSAGES = 1_000;

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

      // example.org dies in the middle of the conversation; Alice says 1,000 things and Charlie
      // commits while it is down; on its return both of Bob's devices get every one, in order.
      orgProc.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      List<String> said = new ArrayList<>();
      for (int i = 0; i < OFFLINE_MESSAGES; i++) {
        said.add("while org was down " + i);
      }
      for (int from = 0; from < said.size(); from += 100) {
        alice.sendAll(gid, said.subList(from, from + 100));
      }
      long epochBefore = alice.epoch(gid);
      charlie.updateKeys(gid); // a commit while the follower is down
      orgProc = launch(org);
      assertEquals(said, receive(bobPhone, OFFLINE_MESSAGES));
      assertEquals(said, receive(bobTablet, OFFLINE_MESSAGES));
      receive(alice, 0);
      bobTablet.send(gid, "back");
      assertEquals(List.of("back"), receive(alice, 1));
      assertEquals(List.of("back"), receive(bobPhone, 1));
      List<String> charlieGot = receive(charlie, OFFLINE_MESSAGES + 1);
      assertEquals(said, charlieGot.subList(0, OFFLINE_MESSAGES));
      assertEquals("back", charlieGot.get(OFFLINE_MESSAGES));
      assertTrue(alice.epoch(gid) > epochBefore);
      for (MlsClient c : List.of(charlie, bobPhone, bobTablet)) {
        assertEquals(alice.epoch(gid), c.epoch(gid), c.clientId());
        assertEquals(alice.epochAuthenticator(gid), c.epochAuthenticator(gid), c.clientId());
      }

      // example.org's operator revokes Bob's new laptop before anyone adds it: the hub cannot add
      // it (example.org no longer hands it out); then Bob's tablet: its own provider refuses it.
      device(org, "bob@example.org", "laptop");
      revoke(org, "bob@example.org/laptop");
      MlsClient.ClientException noLaptop = assertThrows(MlsClient.ClientException.class,
          () -> alice.addUser(gid, "bob@example.org"));
      assertTrue(noLaptop.getMessage().contains("no device to add"), noLaptop.getMessage());
      assertEquals(4, alice.members(gid).size());
      revoke(org, "bob@example.org/tablet");
      MlsClient.ClientException refused = assertThrows(MlsClient.ClientException.class, () -> bobTablet.send(gid, "revoked"));
      assertTrue(refused.getMessage().contains("revoked"), refused.getMessage());

      // Alice removes Bob: his phone learns it, and nothing said afterwards reaches it.
      alice.removeUser(gid, "bob@example.org");
      awaitMembership(bobPhone, gid, false);
      alice.send(gid, "only com now");
      assertEquals(List.of("only com now"), receive(charlie, 1));
      assertEquals(List.of(), bobPhone.syncWaiting(1_000));
    } finally {
      comProc.destroyForcibly();
      orgProc.destroyForcibly();
    }
  }

  /** Two providers running, each as its own process (restarted in place by the tests), and Alice and Bob in a group. */
  private static final class Pair implements AutoCloseable {
    final Provider com;
    final Provider org;
    final Process[] procs = new Process[2];
    MlsClient alice;
    MlsClient bob;
    Bytes gid;

    Pair(String db, String groupName) throws Exception {
      com = provider("example.com", db);
      org = provider("example.org", db);
      federate(com, org);
      procs[0] = launch(com);
      procs[1] = launch(org);
      alice = device(com, "alice@example.com", "phone");
      bob = device(org, "bob@example.org", "phone");
      gid = alice.createGroup(groupName);
      alice.addUsers(gid, List.of("bob@example.org"));
      awaitMembership(bob, gid, true);
    }

    @Override
    public void close() {
      for (Process p : procs) {
        p.destroyForcibly();
      }
    }
  }

  /**
   * The hub SIGKILLed in the middle of a commit race between its user and a follower's user:
   * after its restart, whatever it had accepted stands (one commit per epoch, the SDK settles a
   * commit whose answer was lost from the log), messages it had acknowledged are all delivered,
   * and both members end in one epoch with one epoch authenticator.
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void hubKilledMidRace_nothingAcknowledgedLost_oneWinnerPerEpoch(String db) throws Exception {
    try (Pair pair = new Pair(db, "race")) {
      MlsClient alice = pair.alice;
      MlsClient bob = pair.bob;
      Bytes gid = pair.gid;
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
      pair.procs[0].destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      for (Thread t : racers) {
        t.join(60_000);
      }
      pair.procs[0] = launch(pair.com);

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
    }
  }

  /** Rounds of the commit race between the two domains. */
  private static final int RACE_ROUNDS = 15;

  /**
   * Alice (the hub's user) and Bob (the follower's) commit at once, round after round: each builds
   * its commit on the same epoch before either posts (held at the post by a hook), so every round
   * is a real race at the hub. Exactly one commit wins each epoch; the loser is told so (409),
   * catches up and commits in the next epoch. Then example.org, posing with its own provider key as
   * a relay for example.com's users, is refused, and nothing it sent reaches anyone.
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void commitRaceFromBothDomains_oneWinnerPerEpoch_forgedRelaysRefused(String db) throws Exception {
    try (Pair pair = new Pair(db, "race")) {
      MlsClient alice = pair.alice;
      MlsClient bob = pair.bob;
      Bytes gid = pair.gid;
      Provider com = pair.com;
      Provider org = pair.org;
      long start = alice.epoch(gid);

      MlsClient[] who = {alice, bob};
      List<Integer> statuses = java.util.Collections.synchronizedList(new ArrayList<>());
      java.util.concurrent.atomic.AtomicBoolean[] armed = {new java.util.concurrent.atomic.AtomicBoolean(),
          new java.util.concurrent.atomic.AtomicBoolean()};
      java.util.concurrent.CyclicBarrier bothBuilt = new java.util.concurrent.CyclicBarrier(2);
      for (int k = 0; k < 2; k++) {
        int me = k;
        who[k].beforePost = () -> {
          if (armed[me].getAndSet(false)) {
            try {
              bothBuilt.await(30, TimeUnit.SECONDS); // the first attempt of each round waits for the other's
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          }
        };
        who[k].afterPost = statuses::add;
      }
      List<Long> won = java.util.Collections.synchronizedList(new ArrayList<>());
      for (int round = 0; round < RACE_ROUNDS; round++) {
        long epoch = start + 2L * round;
        for (MlsClient c : who) {
          while (c.epoch(gid) < epoch) {
            c.syncWaiting(5_000); // both start the round in the same epoch
          }
          assertEquals(epoch, c.epoch(gid), c.clientId());
        }
        statuses.clear();
        armed[0].set(true);
        armed[1].set(true);
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        List<java.util.concurrent.Future<Long>> results = new ArrayList<>();
        for (MlsClient c : who) {
          results.add(two.submit(() -> c.updateKeys(gid)));
        }
        for (java.util.concurrent.Future<Long> f : results) {
          won.add(f.get(60, TimeUnit.SECONDS));
        }
        two.shutdown();
        // One first-round winner, one loser told so, then the loser's commit in the next epoch.
        assertEquals(List.of(200, 200, 409), statuses.stream().sorted().toList(), "round " + round);
      }
      assertEquals(2 * RACE_ROUNDS, new java.util.HashSet<>(won).size(), "one commit per epoch: " + won);
      assertEquals(start + 2L * RACE_ROUNDS, won.stream().mapToLong(Long::longValue).max().getAsLong());
      for (MlsClient c : who) {
        while (c.epoch(gid) < start + 2L * RACE_ROUNDS) {
          c.syncWaiting(5_000);
        }
      }
      assertEquals(alice.epochAuthenticator(gid), bob.epochAuthenticator(gid));

      // example.org, with its real provider key, relays posts and a commit as example.com's users.
      Secret orgKey = providerKey(org, db);
      String batch = "{\"messages\": [{\"sender\": \"alice@example.com/phone\", \"data\": \"AAEC\"}]}";
      java.net.http.HttpResponse<String> posted = signedPost(org, com, orgKey, "/fed/relay/messages/batch", batch);
      assertEquals(200, posted.statusCode(), posted.body()); // answered per post
      assertTrue(posted.body().contains("fed.forged-sender"), posted.body());
      for (String path : List.of("/fed/relay/messages?sender=alice%40example.com%2Fphone",
          "/fed/relay/commit?sender=alice%40example.com%2Fphone")) {
        java.net.http.HttpResponse<String> forged = signedPost(org, com, orgKey, path, "AAEC");
        assertEquals(403, forged.statusCode(), path + ": " + forged.body());
        assertTrue(forged.body().contains("fed.forged-sender"), forged.body());
      }
      assertEquals(List.of(), alice.syncWaiting(500));
      assertEquals(List.of(), bob.syncWaiting(500));
      alice.send(gid, "still us");
      assertEquals(List.of("still us"), receive(bob, 1));
    }
  }

  /** {@code p}'s provider signing key, read from its AS's database the way its server derives it. */
  private static Secret providerKey(Provider p, String db) throws Exception {
    Database asDb = db.equals("postgres") ? Database.postgres(p.jdbc(), "postgres", "postgres", "db/as")
        : Database.sqlite(p.data(), "as", "db/as");
    try (asDb) {
      return new AuthenticationService(asDb, DefaultCryptoProvider.instance(), java.time.Clock.systemUTC(),
          p.domain(), 86400, false).domain(p.domain()).providerIdentity().privateKey();
    }
  }

  private static java.net.http.HttpResponse<String> signedPost(Provider from, Provider to, Secret key, String path, String body)
      throws Exception {
    long ts = System.currentTimeMillis();
    byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(to.url() + path))
        .header(ProviderRequest.FROM, from.domain())
        .header(ProviderRequest.TIMESTAMP, Long.toString(ts))
        .header(ProviderRequest.SIGNATURE, ProviderRequest.sign(key, "POST", path, ts, from.domain(),
            to.domain(), bytes))
        .header("Content-Type", path.contains("batch") ? "application/json" : "message/mls")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
  }
}
