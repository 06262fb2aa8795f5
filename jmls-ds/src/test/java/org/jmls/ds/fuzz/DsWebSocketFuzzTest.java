package org.jmls.ds.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.ds.http.SignedRequest;
import org.jmls.message.MlsMessage;

/**
 * The DS's WebSocket ({@code /ds/ws}) as a device reaches it, on the real server of {@link LiveDs}:
 * an authenticated session receives any sequence of text frames (arbitrary text, {@code deliver}
 * and {@code ack} controls with any numbers) and binary post frames (arbitrary bytes, or a
 * PrivateMessage header of the device's real group followed by arbitrary bytes). Then a barrier
 * post the DS refuses at once. Every frame the DS sends back must be well formed (a pushed message
 * whose MLSMessage decodes, a post acknowledgement, or a JSON {@code refused}/{@code error}/{@code
 * wake} with a rule), and the DS must neither close the session nor stop answering.
 */
class DsWebSocketFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long BARRIER = 0xFFFF_FFFEL;
  private static final Set<String> TEXT_TYPES = Set.of("refused", "error", "wake");

  /** What the DS sent: a text frame, a binary frame, or the close status. */
  private record Received(String text, byte[] binary, Integer closed) {}

  private static final class Session implements WebSocket.Listener {
    final LinkedBlockingQueue<Received> got = new LinkedBlockingQueue<>();
    private final StringBuilder text = new StringBuilder();
    private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
    WebSocket ws;

    @Override
    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        got.add(new Received(text.toString(), null, null));
        text.setLength(0);
      }
      w.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
      byte[] b = new byte[data.remaining()];
      data.get(b);
      binary.writeBytes(b);
      if (last) {
        got.add(new Received(null, binary.toByteArray(), null));
        binary.reset();
      }
      w.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
      got.add(new Received(reason, null, status));
      return null;
    }

    @Override
    public void onError(WebSocket w, Throwable error) {
      got.add(new Received(String.valueOf(error), null, -1));
    }
  }

  private static Session session;
  private static long lastStamp;

  private static Session session(LiveDs l) throws Exception {
    if (session == null) {
      long ts = Math.max(System.currentTimeMillis(), lastStamp + 1);
      lastStamp = ts;
      Session s = new Session();
      s.ws = l.http().newWebSocketBuilder()
          .header(SignedRequest.CLIENT, LiveDs.CLIENT)
          .header(SignedRequest.TIMESTAMP, Long.toString(ts))
          .header(SignedRequest.SIGNATURE, SignedRequest.sign(LiveDs.C, l.signature().privateKey(), "GET", "/ds/ws", ts, LiveDs.CLIENT, new byte[0]))
          .buildAsync(URI.create("ws://127.0.0.1:" + l.server().port() + "/ds/ws"), s).get(10, TimeUnit.SECONDS);
      session = s;
    }
    return session;
  }

  @FuzzTest(maxDuration = "170m", maxExecutions = 10_000_000)
  void frames(FuzzedDataProvider data) throws Exception {
    LiveDs l = LiveDs.get();
    Session s = session(l);
    byte[] gid = HexFormat.of().parseHex(l.groupHex());
    for (int i = 0; i < 6 && data.remainingBytes() > 0; i++) {
      switch (data.consumeInt(0, 4)) {
        case 0 -> send(s, data.consumeString(300));
        case 1 -> send(s, "{\"type\":\"deliver\",\"after\":" + data.consumeLong() + "}");
        case 2 -> send(s, "{\"type\":\"ack\",\"upto\":" + data.consumeLong() + "}");
        case 3 -> send(s, data.consumeBytes(data.consumeInt(0, 2048)));
        default -> {
          // uint32 id, then MLSMessage: version mls10, wire format mls_private_message, the real group id, an epoch
          ByteArrayOutputStream b = new ByteArrayOutputStream();
          b.writeBytes(new byte[] {0, 0, 0, 7, 0, 1, 0, 2, (byte) gid.length});
          b.writeBytes(gid);
          long epoch = data.consumeLong(0, 3);
          b.writeBytes(ByteBuffer.allocate(8).putLong(epoch).array());
          b.writeBytes(data.consumeBytes(data.consumeInt(0, 512)));
          send(s, b.toByteArray());
        }
      }
    }
    send(s, new byte[] {(byte) (BARRIER >>> 24), (byte) (BARRIER >>> 16), (byte) (BARRIER >>> 8), (byte) BARRIER});
    while (true) {
      Received r = s.got.poll(20, TimeUnit.SECONDS);
      if (r == null) {
        session = null;
        throw new AssertionError("the DS stopped answering the WebSocket");
      }
      if (r.closed() != null) {
        session = null;
        throw new AssertionError("the DS closed the WebSocket: " + r.closed() + " " + r.text());
      }
      if (check(r)) {
        return;
      }
    }
  }

  /** Text frames that are not controls are each answered with an error naming its rule, on a session that stays open. */
  @org.junit.jupiter.api.Test
  void textFramesThatAreNotControls_answeredWithARule() throws Exception {
    Session s = session(LiveDs.get());
    for (String text : new String[] {"{}", "{\"type\":\"x\"}", "not json", "[1,2]", "{\"type\":\"deliver\"}"}) {
      send(s, text);
      Received r = s.got.poll(20, TimeUnit.SECONDS);
      org.junit.jupiter.api.Assertions.assertNotNull(r, text + ": no answer");
      org.junit.jupiter.api.Assertions.assertNull(r.closed(), text + ": the session closed: " + r.text());
      Map<?, ?> m = JSON.readValue(r.text(), Map.class);
      org.junit.jupiter.api.Assertions.assertEquals("error", m.get("type"), r.text());
      org.junit.jupiter.api.Assertions.assertEquals("ds.request-field", m.get("error"), r.text());
    }
  }

  private static void send(Session s, String text) throws Exception {
    s.ws.sendText(text, true).get(10, TimeUnit.SECONDS);
  }

  private static void send(Session s, byte[] frame) throws Exception {
    s.ws.sendBinary(ByteBuffer.wrap(frame), true).get(10, TimeUnit.SECONDS);
  }

  /** Checks one frame from the DS; true when it is the answer to the barrier. */
  private static boolean check(Received r) throws Exception {
    if (r.binary() != null) {
      byte[] b = r.binary();
      if (b.length == 5 && b[0] == 2) {
        return false; // a post stored
      }
      if (b.length > 0 && b[0] == 1) {
        try {
          TlsReader in = new TlsReader(b);
          in.u8();
          in.u64();
          int kind = in.u8();
          in.opaque();
          if (kind < 1 || kind > 4) {
            throw new AssertionError("pushed frame of unknown kind " + kind);
          }
          MlsMessage.fromBytes(java.util.Arrays.copyOfRange(b, b.length - in.remaining(), b.length));
          return false;
        } catch (DecodeException e) {
          throw new AssertionError("a pushed frame does not decode: " + e.getMessage(), e);
        }
      }
      throw new AssertionError("unexpected binary frame " + HexFormat.of().formatHex(b));
    }
    Map<?, ?> m = JSON.readValue(r.text().getBytes(StandardCharsets.UTF_8), Map.class);
    if (!(m.get("type") instanceof String type) || !TEXT_TYPES.contains(type)) {
      throw new AssertionError("unexpected text frame " + r.text());
    }
    if (!type.equals("wake") && (!(m.get("error") instanceof String rule) || rule.isBlank())) {
      throw new AssertionError("a refusal without a rule: " + r.text());
    }
    return type.equals("refused") && m.get("id") instanceof Number id && id.longValue() == BARRIER;
  }
}
