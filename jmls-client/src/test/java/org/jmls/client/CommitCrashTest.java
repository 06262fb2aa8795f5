package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.server.JmlsServer;
import org.junit.jupiter.api.Test;

/**
 * A device dies between posting a commit and recording the DS's answer. Restarted from its store,
 * it keeps the commit's state if the commit won the epoch and drops it if another one did; either
 * way it ends in step with the group, without rejoining.
 */
class CommitCrashTest {
  static final class Crash extends RuntimeException {}

  @Test
  void crashAfterTheDsAnswered_wonAndLost() throws Exception {
    Path dir = Files.createTempDirectory("jmls-crash");
    try (JmlsServer s = TestServers.start(dir.resolve("srv"))) {
      String base = "http://127.0.0.1:" + s.port();
      MlsClient alice = TestServers.enrolled(s, "alice@example.com", "a");
      MlsClient bob = TestServers.enrolled(s, "bob@example.com", "b");
      ClientStore store = ClientStore.open(dir.resolve("alice.db"), "pw".toCharArray());
      alice.persistTo(store);
      Bytes g = alice.createGroup("crash");
      alice.addUser(g, "bob@example.com");
      bob.sync();
      long e0 = alice.epoch(g);

      // 1. The DS accepts Alice's update; she dies before recording it.
      alice.afterPost = status -> {
        throw new Crash();
      };
      assertThrows(Crash.class, () -> alice.updateKeys(g));
      store.close();
      store = ClientStore.open(dir.resolve("alice.db"), "pw".toCharArray());
      MlsClient alice2 = MlsClient.restore(base, store);
      assertEquals(e0, alice2.epoch(g), "the store holds the state before the commit until the answer is known");
      alice2.sync();
      bob.sync();
      assertEquals(e0 + 1, alice2.epoch(g), "her commit won: its state is kept");
      assertEquals(bob.epochAuthenticator(g), alice2.epochAuthenticator(g));
      alice2.send(g, "still here");
      assertEquals(List.of("still here"), bob.sync().stream().map(MlsClient.Received::text).toList());

      // 2. Bob's commit wins the epoch; Alice's is refused and she dies before dropping hers.
      bob.updateKeys(g);
      alice2.afterPost = status -> {
        assertEquals(409, status);
        throw new Crash();
      };
      assertThrows(Crash.class, () -> alice2.updateKeys(g));
      store.close();
      store = ClientStore.open(dir.resolve("alice.db"), "pw".toCharArray());
      MlsClient alice3 = MlsClient.restore(base, store);
      alice3.sync();
      assertEquals(e0 + 2, alice3.epoch(g), "Bob's commit was applied, hers dropped");
      assertEquals(bob.epochAuthenticator(g), alice3.epochAuthenticator(g));
      alice3.updateKeys(g);
      bob.sync();
      assertEquals(bob.epochAuthenticator(g), alice3.epochAuthenticator(g));
      store.close();
    }
  }
}
