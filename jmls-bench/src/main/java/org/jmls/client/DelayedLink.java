package org.jmls.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP relay on loopback that holds every chunk of bytes, each way, for a fixed delay before passing
 * it on: a database on another machine, for the load generator (a round trip costs twice the delay,
 * as over a network; bytes keep their order and are never merged or dropped).
 */
final class DelayedLink implements AutoCloseable {
  private final ServerSocket server;
  private final long delayNanos;
  private final String host;
  private final int port;
  private volatile boolean open = true;

  /** Relays connections on {@link #port()} to {@code host:port}, each chunk held {@code delayMicros} each way. */
  DelayedLink(String host, int port, long delayMicros) throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.delayNanos = delayMicros * 1_000;
    this.host = host;
    this.port = port;
    daemon("jmls-delayed-accept", this::accept).start();
  }

  /** The port that reaches the target through the delay. */
  int port() {
    return server.getLocalPort();
  }

  private static Thread daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private void accept() {
    while (open) {
      try {
        Socket in = server.accept();
        Socket out = new Socket(host, port);
        in.setTcpNoDelay(true);
        out.setTcpNoDelay(true);
        pump(in, out);
        pump(out, in);
      } catch (IOException e) {
        if (!open) {
          return;
        }
      }
    }
  }

  private record Chunk(long due, byte[] bytes) {}

  /** Bytes from {@code from} reach {@code to} after the delay; either side closing closes both. */
  private void pump(Socket from, Socket to) {
    LinkedBlockingQueue<Chunk> held = new LinkedBlockingQueue<>();
    Chunk end = new Chunk(0, null);
    daemon("jmls-delayed-read", () -> {
      byte[] buf = new byte[64 * 1024];
      try (InputStream is = from.getInputStream()) {
        int n;
        while ((n = is.read(buf)) > 0) {
          held.add(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buf, n)));
        }
      } catch (IOException e) {
        // the connection ended
      }
      held.add(end);
    }).start();
    daemon("jmls-delayed-write", () -> {
      try (OutputStream os = to.getOutputStream()) {
        while (true) {
          Chunk c = held.take();
          if (c == end) {
            break;
          }
          long wait;
          while ((wait = c.due() - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
          }
          os.write(c.bytes());
          os.flush();
        }
      } catch (IOException | InterruptedException e) {
        // the connection ended
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }).start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    open = false;
    server.close();
  }
}
