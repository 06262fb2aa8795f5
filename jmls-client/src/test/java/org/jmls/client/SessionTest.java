package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jmls.Bytes;
import org.jmls.server.JmlsServer;
import org.junit.jupiter.api.Test;

/**
 * With a live session, messages are posted over the WebSocket (pipelined) and read from what the
 * DS pushes, in order, once; closing the session falls back to HTTP with nothing lost.
 */
class SessionTest {
  @Test
  void liveSession_postsPipelined_readsPushes_thenHttpFallback() throws Exception {
    try (JmlsServer s = TestServers.start(Files.createTempDirectory("jmls-session"))) {
      MlsClient alice = TestServers.enrolled(s, "alice@example.com", "a");
      MlsClient bob = TestServers.enrolled(s, "bob@example.com", "b");
      Bytes g = alice.createGroup("live");
      alice.addUser(g, "bob@example.com");
      bob.sync();
      Semaphore bobWoken = new Semaphore(0);
      List<String> texts = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        texts.add("live " + i);
      }
      try (AutoCloseable aliceLive = alice.wakeups(() -> { });
          AutoCloseable bobLive = bob.wakeups(bobWoken::release)) {
        alice.sendAll(g, texts);
        assertEquals(50, alice.traffic().postedOverSession(), "pipelined over Alice's session");
        List<String> got = new ArrayList<>();
        while (got.size() < 50) {
          bobWoken.tryAcquire(20, TimeUnit.SECONDS); // woken by each push
          for (MlsClient.Received r : bob.sync()) {
            got.add(r.text());
          }
        }
        assertEquals(texts, got, "in order, each once");
        assertEquals(50, bob.traffic().readFromPushes(), "read from pushes, not fetched again");
      }
      // Sessions closed: HTTP again, nothing lost or repeated.
      alice.send(g, "by http");
      assertEquals(50, alice.traffic().postedOverSession());
      List<MlsClient.Received> after = bob.sync();
      assertEquals(1, after.size());
      assertEquals("by http", after.get(0).text());
    }
  }
}
