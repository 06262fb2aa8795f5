package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.server.JmlsServer;
import org.junit.jupiter.api.Test;

/**
 * A device that was away longer than the DS keeps messages: the DS says which groups it fell behind
 * in, the client rejoins them by external commit and says so, and the conversation goes on.
 */
class RetentionTest {
  @Test
  void messagesExpiredBeforeRead_deviceRejoins_andHearsWhatFollows() throws Exception {
    try (JmlsServer s = TestServers.start(Files.createTempDirectory("jmls-retention"))) {
      MlsClient alice = TestServers.enrolled(s, "alice@example.com", "a");
      MlsClient bob = TestServers.enrolled(s, "bob@example.com", "b");
      Bytes g = alice.createGroup("long trip");
      alice.addUser(g, "bob@example.com");
      bob.sync();
      alice.send(g, "while you were away");
      alice.updateKeys(g); // an epoch Bob will never see
      assertTrue(s.ds().groups().pruneQueues(-60) >= 2, "retention deletes what Bob never read");

      assertEquals(List.of(), bob.sync());
      List<String> problems = bob.lastSyncProblems();
      assertEquals(1, problems.size(), problems.toString());
      assertTrue(problems.get(0).contains("expired") && problems.get(0).contains("rejoined"), problems.get(0));
      alice.sync();
      assertEquals(alice.epochAuthenticator(g), bob.epochAuthenticator(g), "Bob is back in step");
      assertEquals(List.of(), bob.sync(), "the expiry is reported once");
      assertEquals(List.of(), bob.lastSyncProblems());

      alice.send(g, "welcome back");
      List<MlsClient.Received> got = bob.sync();
      assertEquals(1, got.size());
      assertEquals("welcome back", got.get(0).text());
    }
  }
}
