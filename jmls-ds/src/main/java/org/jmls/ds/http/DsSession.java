package org.jmls.ds.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;

/**
 * A device's WebSocket session with the Delivery Service (see the DS's {@code /ds/ws}): posts
 * messages without a signature per message (the connection was authenticated when it opened) and,
 * once {@link #deliver} was called, receives its queue pushed in sequence order. Thread-safe.
 */
public final class DsSession implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A message pushed by the DS: its queue sequence, kind ("application", "commit", ...), group, bytes. */
  public record Pushed(long seq, String kind, Bytes groupId, Bytes message) {}

  /** What the session reports. Called on the WebSocket's thread, one call at a time. */
  public interface Listener {
    void pushed(Pushed p);

    default void wake() {}
  }


  private final Map<Long, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final Listener listener;
  private final Object sendLock = new Object();
  private volatile WebSocket ws;
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private final StringBuilder text = new StringBuilder();

  private final CompletableFuture<String> closed = new CompletableFuture<>();
  private java.util.concurrent.ScheduledFuture<?> keepalive;

  /** Keeps sessions from looking idle to the DS (which closes silent ones after some minutes). */
  private static final java.util.concurrent.ScheduledExecutorService PINGS =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "jmls-ds-session-ping");
        t.setDaemon(true);
        return t;
      });

  /** How often an open session pings the DS. */
  public static final java.time.Duration PING_INTERVAL = java.time.Duration.ofSeconds(60);

  DsSession(Listener listener) {
    this.listener = listener;
  }

  void attach(WebSocket ws) {
    this.ws = ws;
    keepalive = PINGS.scheduleAtFixedRate(() -> {
      if (isOpen()) {
        send(() -> ws.sendPing(ByteBuffer.allocate(0)), null, -1);
      }
    }, PING_INTERVAL.toMillis(), PING_INTERVAL.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    closed.whenComplete((r, e) -> keepalive.cancel(false));
  }

  /** Completes when the DS (or the network) closed the session, with the status and reason. */
  public CompletableFuture<String> closed() {
    return closed;
  }

  WebSocket.Listener socketListener() {
    return new WebSocket.Listener() {
      @Override
      public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
        byte[] b = new byte[data.remaining()];
        data.get(b);
        partial.write(b, 0, b.length);
        if (last) {
          byte[] frame = partial.toByteArray();
          partial.reset();
          onPush(frame);
        }
        w.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
          String t = text.toString();
          text.setLength(0);
          onControl(t);
        }
        w.request(1);
        return null;
      }

      @Override
      public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
        failAll(new java.io.IOException("the DS closed the session (" + status + " " + reason + ")"));
        closed.complete(status + " " + reason);
        return null;
      }

      @Override
      public void onError(WebSocket w, Throwable error) {
        failAll(error);
        closed.complete("error: " + error.getMessage());
      }
    };
  }

  private void onPush(byte[] frame) {
    if (frame.length == 5 && frame[0] == 2) {
      long id = ((frame[1] & 0xFFL) << 24) | ((frame[2] & 0xFF) << 16) | ((frame[3] & 0xFF) << 8) | (frame[4] & 0xFF);
      CompletableFuture<Void> f = pending.remove(id);
      if (f != null) {
        f.complete(null);
      }
      return;
    }
    try {
      Pushed p = TlsReader.decode(frame, r -> {
        if (r.u8() != 1) {
          throw r.error("unknown push frame");
        }
        long seq = r.u64();
        int kind = r.u8();
        Bytes gid = r.opaque();
        Bytes message = Bytes.wrap(r.fixed(r.remaining()));
        return new Pushed(seq, QueueBatch.kindName(kind), gid, message);
      });
      listener.pushed(p);
    } catch (DecodeException e) {
      // not from a jmls DS: ignore the frame
    }
  }

  private void onControl(String t) {
    Map<?, ?> m;
    try {
      m = JSON.readValue(t, Map.class);
    } catch (java.io.IOException e) {
      return;
    }
    Object type = m.get("type");
    if ("wake".equals(type)) {
      listener.wake();
      return;
    }
    if (!(m.get("id") instanceof Number n)) {
      return;
    }
    CompletableFuture<Void> f = pending.remove(n.longValue());
    if (f == null) {
      return;
    }
    if ("posted".equals(type)) {
      f.complete(null);
    } else {
      f.completeExceptionally(new ValidationException(String.valueOf(m.get("error")), String.valueOf(m.get("message"))));
    }
  }

  private void failAll(Throwable t) {
    pending.values().forEach(f -> f.completeExceptionally(t));
    pending.clear();
  }

  /**
   * Posts an MLSMessage; completes when the DS stored it, or fails with the DS's reason (a
   * {@link MlsException} with its rule id) or the connection's failure.
   */
  public CompletableFuture<Void> post(byte[] mlsMessage) {
    long id = ids.incrementAndGet() & 0xFFFFFFFFL;
    CompletableFuture<Void> f = new CompletableFuture<>();
    pending.put(id, f);
    ByteBuffer b = ByteBuffer.allocate(4 + mlsMessage.length);
    b.putInt((int) id).put(mlsMessage).flip();
    send(() -> ws.sendBinary(b, true), f, id);
    return f;
  }

  /** Asks the DS to push every queued message after {@code after}, then each new one. */
  public void deliver(long after) {
    control("{\"type\":\"deliver\",\"after\":" + after + "}");
  }

  /** Acknowledges (and so removes from the DS) every queued message up to {@code upto}. */
  public void ack(long upto) {
    control("{\"type\":\"ack\",\"upto\":" + upto + "}");
  }

  private void control(String json) {
    send(() -> ws.sendText(json, true), null, -1);
  }

  /** Java's WebSocket allows one outstanding send: sends are serialized here. */
  private void send(java.util.function.Supplier<CompletableFuture<WebSocket>> op, CompletableFuture<Void> f, long id) {
    synchronized (sendLock) {
      try {
        op.get().join();
      } catch (RuntimeException e) {
        if (f != null) {
          pending.remove(id);
          f.completeExceptionally(e.getCause() != null ? e.getCause() : e);
        }
      }
    }
  }

  /** Whether the socket is still open both ways (a closed session is not reopened; open a new one). */
  public boolean isOpen() {
    WebSocket w = ws;
    return w != null && !w.isOutputClosed() && !w.isInputClosed();
  }

  @Override
  public void close() {
    WebSocket w = ws;
    if (w != null) {
      w.abort();
    }
    failAll(new java.io.IOException("session closed"));
    closed.complete("closed by this client");
  }
}
