package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The relay that stands for a distant database: every byte arrives, in order, and no round trip is shorter than twice the delay. */
class DelayedLinkTest {
  @Test
  void echoThroughTheLink_bytesIntactInOrder_roundTripAtLeastTwiceTheDelay() throws Exception {
    try (ServerSocket echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> {
        try (Socket s = echo.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
          byte[] buf = new byte[8192];
          int n;
          while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
            out.flush();
          }
        } catch (java.io.IOException e) {
          // the test closed it
        }
      });
      t.setDaemon(true);
      t.start();
      try (DelayedLink link = new DelayedLink("127.0.0.1", echo.getLocalPort(), 20_000);
          Socket s = new Socket(InetAddress.getLoopbackAddress(), link.port())) {
        OutputStream out = s.getOutputStream();
        DataInputStream in = new DataInputStream(s.getInputStream());
        // One byte there and back: at least twice the delay (without the delay, well under a millisecond once warm).
        for (int i = 0; i < 3; i++) {
          long start = System.nanoTime();
          out.write(i);
          out.flush();
          assertTrue(in.readByte() == i);
          long micros = (System.nanoTime() - start) / 1_000;
          assertTrue(micros >= 40_000, "a round trip took " + micros + " µs, less than twice the 20 ms delay");
        }
        byte[] sent = new byte[300_000]; // several chunks each way, written while the echo comes back
        new Random(7).nextBytes(sent);
        Thread writer = new Thread(() -> {
          try {
            out.write(sent);
            out.flush();
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
        writer.start();
        byte[] back = new byte[sent.length];
        in.readFully(back);
        writer.join();
        assertArrayEquals(sent, back);
      }
    }
  }
}
