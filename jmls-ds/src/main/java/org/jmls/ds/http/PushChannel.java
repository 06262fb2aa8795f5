package org.jmls.ds.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.websocket.WsContext;
import java.nio.ByteBuffer;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsWriter;
import org.jmls.ds.GroupDirectory;
import org.jmls.ds.StaleEpochException;
import org.jmls.message.MlsMessage;

/**
 * One authenticated WebSocket of a device (RFC 9750 §5.2 push delivery). Without a {@code deliver}
 * request it only carries content-free wake-ups. Text frames from the device: {@code
 * {"type":"deliver","after":N}} (push every message after sequence N and after the device's
 * cursor, then each new one as it is stored) and {@code {"type":"ack","upto":N}} (moves the
 * cursor). Binary frames from the device post a message: uint32 request id, then the MLSMessage;
 * the answer is a binary frame uint8 2, uint32 id (stored) or the text frame {@code
 * {"type":"refused","id":..,"error":rule,"message":..}}. Pushed messages are binary frames: uint8 1,
 * uint64 seq, uint8 kind (1 proposal, 2 commit, 3 application, 4 welcome), group_id&lt;V&gt;, then
 * the MLSMessage; sequence numbers increase (they are not contiguous: the numbering is DS-wide).
 *
 * <p>Everything a channel does runs on its own serial lane of the push pool, in the order it was
 * asked for: the drain on {@code deliver}, then what the writers announce, so a message is pushed
 * once and never after a later one. Neither Jetty's threads nor the writers wait on a slow socket.
 */
final class PushChannel {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final org.eclipse.jetty.websocket.api.WriteCallback NO_CALLBACK = new org.eclipse.jetty.websocket.api.WriteCallback() {};

  private final WsContext ws;
  private final String client;
  private final GroupDirectory groups;
  private final Predicate<String> allow;
  private final Executor pool;
  private final ConcurrentLinkedQueue<Runnable> lane = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  /** Last sequence pushed; -1 while the device has not asked for delivery. Touched only on the lane. */
  private long lastSent = -1;
  /** Frames were queued on the session since the lane last flushed. Touched only on the lane. */
  private boolean unflushed;

  PushChannel(WsContext ws, String client, GroupDirectory groups, Predicate<String> allow, Executor pool) {
    this.ws = ws;
    this.client = client;
    this.groups = groups;
    this.allow = allow;
    this.pool = pool;
  }

  /** Closes the socket with a WebSocket status and reason (the device sees why). */
  void close(int status, String reason) {
    try {
      ws.closeSession(status, reason);
    } catch (RuntimeException e) {
      // already closed
    }
  }

  /** Runs {@code r} on this channel's lane, after everything queued before it. */
  private void onLane(Runnable r) {
    lane.add(r);
    schedule();
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      pool.execute(this::runLane);
    }
  }

  private void runLane() {
    try {
      for (int i = 0; i < 256; i++) {
        Runnable r = lane.poll();
        if (r == null) {
          break;
        }
        try {
          r.run();
        } catch (RuntimeException e) {
          // a closed socket or a storage hiccup: the next deliver or offer recovers from lastSent
        }
      }
      if (unflushed) { // one socket write for every offer this run took, however many nodes announced them
        unflushed = false;
        flush();
      }
    } finally {
      scheduled.set(false);
      if (!lane.isEmpty()) {
        schedule();
      }
    }
  }

  /** A message as pushed: its sequence and its frame (encoded once, shared by every channel it goes to). */
  record Frame(long seq, byte[] bytes) {
    static Frame of(GroupDirectory.Appended a) {
      return new Frame(a.seq(), encode(a.seq(), a.kind(), a.groupId().unsafeArray(), a.message().unsafeArray()));
    }
  }

  static byte[] encode(long seq, GroupDirectory.Kind kind, byte[] gid, byte[] message) {
    TlsWriter w = new TlsWriter(32 + message.length);
    w.u8(1).u64(seq).u8(kind.ordinal() + 1).opaque(gid).raw(message);
    return w.toByteArray();
  }

  /** New messages for this device, as the writers announce them (in sequence order). */
  void offer(List<Frame> frames) {
    onLane(() -> {
      if (lastSent < 0) {
        sendText(Map.of("type", "wake"));
        return;
      }
      for (Frame f : frames) {
        if (f.seq() > lastSent) {
          send(f.seq(), f.bytes());
          unflushed = true;
        }
      }
    });
  }

  /** Reads and pushes what this device is owed after what was pushed last (announcements were lost). */
  void catchUp() {
    onLane(() -> {
      if (lastSent >= 0) {
        drain();
      }
    });
  }

  void post(byte[] data, int offset, int length) {
    if (length < 4) {
      sendText(Map.of("type", "refused", "id", -1, "error", "ds.request-field", "message", "a post frame starts with a uint32 id"));
      return;
    }
    long id = ((data[offset] & 0xFFL) << 24) | ((data[offset + 1] & 0xFF) << 16) | ((data[offset + 2] & 0xFF) << 8)
        | (data[offset + 3] & 0xFF);
    if (!allow.test(client)) {
      refuse(id, "ds.rate-limited", "too many requests from this device; retry in a second");
      return;
    }
    MlsMessage m;
    try {
      m = MlsMessage.fromBytes(Arrays.copyOfRange(data, offset + 4, offset + length));
    } catch (DecodeException e) {
      refuse(id, "ds.decode", e.getMessage());
      return;
    }
    // Answered on the thread that completes the write (the batch writer: a non-blocking send per
    // answer), not behind the pushes queued on the pool, which would stretch every post's latency.
    groups.postAsync(client, m).whenComplete((seq, err) -> {
      if (err == null) {
        posted(id);
        return;
      }
      Throwable t = org.jmls.service.Futures.cause(err);
      if (t instanceof StaleEpochException st) {
        refuse(id, "ds.stale-epoch", st.getMessage());
      } else if (t instanceof MlsException me) {
        refuse(id, me instanceof ValidationException v ? v.ruleId() : "ds.refused", me.getMessage());
      } else {
        refuse(id, "ds.storage", "the message could not be stored; retry");
      }
    });
  }

  /** The answer to an accepted post: a binary frame uint8 2, uint32 id (the common case, kept small). */
  private void posted(long id) {
    byte[] f = {2, (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id};
    synchronized (this) {
      try {
        ws.session.getRemote().sendBytes(ByteBuffer.wrap(f), NO_CALLBACK);
        flush();
      } catch (RuntimeException e) {
        // closed socket
      }
    }
  }

  private void refuse(long id, String rule, String message) {
    sendText(Map.of("type", "refused", "id", id, "error", rule, "message", String.valueOf(message)));
  }

  void control(String text) {
    Map<?, ?> m;
    try {
      m = JSON.readValue(text, Map.class);
    } catch (java.io.IOException e) {
      sendText(Map.of("type", "error", "error", "ds.request-field", "message", "control frames are JSON objects"));
      return;
    }
    Object type = m.get("type");
    try {
      if ("deliver".equals(type) && m.get("after") instanceof Number n) {
        long after = n.longValue();
        onLane(() -> {
          lastSent = Math.max(0, after);
          drain();
        });
      } else if ("ack".equals(type) && m.get("upto") instanceof Number n) {
        groups.ack(client, n.longValue());
      } else {
        sendText(Map.of("type", "error", "error", "ds.request-field", "message", "unknown control frame"));
      }
    } catch (SQLException e) {
      sendText(Map.of("type", "error", "error", "ds.storage", "message", "storage unavailable; retry"));
    }
  }

  /** Reads and pushes everything stored for this device after {@code lastSent} (and its cursor). */
  private void drain() {
    try {
      List<GroupDirectory.Delivery> got;
      do {
        got = groups.fetch(client, lastSent, 1000);
        for (GroupDirectory.Delivery d : got) {
          push(d.seq(), d.kind(), d.groupId().unsafeArray(), d.message().unsafeArray());
        }
      } while (got.size() == 1000);
      flush();
    } catch (SQLException e) {
      // storage briefly unavailable: the device asks again (deliver) or the next offer continues
    }
  }

  private void push(long seq, GroupDirectory.Kind kind, byte[] gid, byte[] message) {
    send(seq, encode(seq, kind, gid, message));
  }

  private void send(long seq, byte[] frame) {
    synchronized (this) {
      try {
        // Queued on the session in order (Jetty's frame flusher); this thread does not wait for the socket.
        ws.session.getRemote().sendBytes(ByteBuffer.wrap(frame), NO_CALLBACK);
      } catch (RuntimeException e) {
        // closed: its close handler drops it; a new channel starts from the device's own cursor
      }
    }
    lastSent = seq;
  }

  /** Frames are batched on the session (one socket write for several); this sends what is waiting. */
  private void flush() {
    synchronized (this) {
      try {
        ws.session.getRemote().flush();
      } catch (java.io.IOException | RuntimeException e) {
        // closed socket
      }
    }
  }

  private void sendText(Map<String, ?> m) {
    try {
      String text = JSON.writeValueAsString(m);
      synchronized (this) {
        ws.session.getRemote().sendString(text, NO_CALLBACK);
        ws.session.getRemote().flush();
      }
    } catch (java.io.IOException | RuntimeException e) {
      // closed socket
    }
  }
}
