package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.group.Group;
import org.jmls.message.MlsMessage;
import org.jmls.server.JmlsServer;
import org.junit.jupiter.api.Test;

/**
 * A message that arrives before the commit it depends on is held (and survives a restart) until
 * the commit is merged, then delivered; the hold is bounded.
 */
class EarlyMessageTest {
  @Test
  void heldUntilItsCommit_acrossARestart_andBounded() throws Exception {
    Path dir = Files.createTempDirectory("jmls-early");
    try (JmlsServer s = TestServers.start(dir.resolve("srv"))) {
      String base = "http://127.0.0.1:" + s.port();
      MlsClient alice = TestServers.enrolled(s, "alice@example.com", "a");
      MlsClient bob = TestServers.enrolled(s, "bob@example.com", "b");
      ClientStore store = ClientStore.open(dir.resolve("bob.db"), "pw".toCharArray());
      bob.persistTo(store);
      Bytes g = alice.createGroup("early");
      alice.addUser(g, "bob@example.com");
      bob.sync();
      long epoch = bob.epoch(g);

      // Alice commits and then talks in the new epoch; a reordering transport hands Bob the talk first.
      Group a = alice.group(g);
      Group.CommitResult c = a.commit(List.of(), true);
      a.mergePendingCommit();
      MlsMessage talk = a.encrypt("after the commit".getBytes(), new byte[0]);
      List<MlsClient.Received> out = new ArrayList<>();
      bob.receive("message", talk, g, out);
      assertEquals(List.of(), out, "held, not delivered yet");
      assertEquals(epoch, bob.epoch(g));

      // Bob restarts from his store: the held message is still there.
      store.close();
      ClientStore reopened = ClientStore.open(dir.resolve("bob.db"), "pw".toCharArray());
      MlsClient bob2 = MlsClient.restore(base, reopened);
      bob2.receive("commit", c.commit(), g, out);
      assertEquals(epoch + 1, bob2.epoch(g));
      assertEquals(1, out.size(), bob2.lastSyncProblems().toString());
      assertEquals("after the commit", out.get(0).text());
      assertEquals(a.epochAuthenticator(), bob2.epochAuthenticator(g));

      // Bounded: past the limit, a message for a future epoch is refused with a reason.
      Group.CommitResult c2 = a.commit(List.of(), true);
      a.mergePendingCommit();
      MlsMessage ahead = a.encrypt("x".getBytes(), new byte[0]);
      for (int i = 0; i < MlsClient.EARLY_LIMIT; i++) {
        bob2.receive("message", ahead, g, out);
      }
      org.jmls.ValidationException full = org.junit.jupiter.api.Assertions.assertThrows(org.jmls.ValidationException.class,
          () -> bob2.receive("message", ahead, g, out));
      assertEquals("client.early-limit", full.ruleId());
      assertTrue(c2.commit() != null);
      reopened.close();
    }
  }
}
