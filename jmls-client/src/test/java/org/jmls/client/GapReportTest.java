package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.server.JmlsServer;
import org.junit.jupiter.api.Test;

/** A receiver reports the generations it never saw from a sender (messages lost before the DS). */
class GapReportTest {
  @Test
  void skippedGenerationsAreReported() throws Exception {
    try (JmlsServer s = TestServers.start(Files.createTempDirectory("jmls-gap"))) {
      MlsClient alice = TestServers.enrolled(s, "alice@example.com", "a");
      MlsClient bob = TestServers.enrolled(s, "bob@example.com", "b");
      Bytes g = alice.createGroup("gap");
      alice.addUser(g, "bob@example.com");
      bob.sync();
      alice.send(g, "one");
      assertEquals(1, bob.sync().size());
      assertEquals(List.of(), bob.lastSyncGaps(), "consecutive generations");

      // Two messages are encrypted but never reach the DS (a crash before posting, say).
      alice.group(g).encrypt("lost 1".getBytes(), new byte[0]);
      alice.group(g).encrypt("lost 2".getBytes(), new byte[0]);
      alice.send(g, "four");
      List<MlsClient.Received> got = bob.sync();
      assertEquals(1, got.size());
      assertEquals("four", got.get(0).text());
      long epoch = bob.epoch(g);
      assertEquals(List.of(new MlsClient.Gap(g, "alice@example.com/a", epoch, 1, 2)), bob.lastSyncGaps());
      assertEquals(2, bob.lastSyncGaps().get(0).count());
    }
  }
}
