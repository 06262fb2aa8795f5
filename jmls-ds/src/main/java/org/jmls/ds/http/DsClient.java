package org.jmls.ds.http;

import org.jmls.Bytes;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.jmls.crypto.CryptoException;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;

/**
 * A minimal signed HTTP client for the Delivery Service (one device). Returns the status and the
 * parsed JSON body; callers interpret them.
 */
public final class DsClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http;
  private final org.jmls.service.Nodes nodes;
  private final String clientId;
  private final MlsCrypto crypto;
  private final Secret signatureKey;

  /** The outcome of one call. */
  public record Response(int status, Map<String, Object> json, byte[] raw) {}

  private final java.util.concurrent.atomic.AtomicLong lastTimestamp = new java.util.concurrent.atomic.AtomicLong();

  /**
   * A device's client of the DS at {@code base}: one base URL, or the nodes of one deployment
   * comma-separated, tried in turn when one cannot be reached ({@link org.jmls.service.Nodes}).
   */
  public DsClient(String base, String clientId, MlsCrypto crypto, Secret signatureKey) {
    this(org.jmls.service.Nodes.parse(base), clientId, crypto, signatureKey, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
  }

  private DsClient(org.jmls.service.Nodes nodes, String clientId, MlsCrypto crypto, Secret signatureKey, HttpClient http) {
    this.http = http;
    this.nodes = nodes;
    this.clientId = clientId;
    this.crypto = crypto;
    this.signatureKey = signatureKey;
  }

  /**
   * The same device over another HTTP client: many devices in one process (bots, load generators)
   * can share one client and its connection threads.
   */
  public DsClient sharing(HttpClient client) {
    return new DsClient(nodes, clientId, crypto, signatureKey, client);
  }

  public String clientId() {
    return clientId;
  }

  public Response call(String method, String path, Object jsonBody) throws IOException, InterruptedException, CryptoException {
    byte[] body = jsonBody == null ? new byte[0] : JSON.writeValueAsBytes(jsonBody);
    return send(method, path, body, "application/json");
  }

  public Response send(String method, String path, byte[] body, String contentType)
      throws IOException, InterruptedException, CryptoException {
    return nodes.call(base -> response(http.send(prepare(base, method, path, body, contentType), HttpResponse.BodyHandlers.ofByteArray())));
  }

  /** A JSON call whose answer is not awaited here (pipelined work: acknowledgements while the next page is read). */
  public java.util.concurrent.CompletableFuture<Response> callAsync(String method, String path, Object jsonBody)
      throws IOException, CryptoException {
    byte[] body = jsonBody == null ? new byte[0] : JSON.writeValueAsBytes(jsonBody);
    return nodes.callAsync(base -> http.sendAsync(prepare(base, method, path, body, "application/json"), HttpResponse.BodyHandlers.ofByteArray()))
        .thenApply(r -> {
          try {
            return response(r);
          } catch (IOException e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        });
  }

  private static Response response(HttpResponse<byte[]> r) throws IOException {
    Map<String, Object> json = null;
    String type = r.headers().firstValue("Content-Type").orElse("");
    if (type.startsWith("application/json") && r.body().length > 0) {
      @SuppressWarnings("unchecked")
      Map<String, Object> m = JSON.readValue(r.body(), Map.class);
      json = m;
    }
    return new Response(r.statusCode(), json, r.body());
  }

  /** The DS answered, but not with what was asked (a refusal, or an answer that does not decode). */
  public static final class RefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    public RefusedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Reads this device's queue after {@code after} (and its cursor at the DS) in binary ({@link
   * QueueBatch}); a DS that answers JSON (older versions) is read too. Non-200 answers throw with
   * the DS's error.
   */
  public QueueBatch fetchQueue(long after, int limit) throws IOException, InterruptedException, CryptoException {
    return nodes.call(base -> queueBatch(http.send(queueRequest(base, after, limit), HttpResponse.BodyHandlers.ofByteArray())));
  }

  /** {@link #fetchQueue}, not awaited: a device catching up reads the next page while it processes this one. */
  public java.util.concurrent.CompletableFuture<QueueBatch> fetchQueueAsync(long after, int limit) throws CryptoException {
    return nodes.callAsync(base -> http.sendAsync(queueRequest(base, after, limit), HttpResponse.BodyHandlers.ofByteArray()))
        .thenApply(r -> {
      try {
        return queueBatch(r);
      } catch (IOException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
  }

  private HttpRequest queueRequest(String base, long after, int limit) throws CryptoException {
    String path = "/ds/queue?after=" + after + "&limit=" + limit;
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60)).GET()
        .header("Accept", QueueBatch.MEDIA_TYPE + ", application/json");
    sign("GET", path, new byte[0], b::header);
    return b.build();
  }

  private static QueueBatch queueBatch(HttpResponse<byte[]> r) throws RefusedException {
    String type = r.headers().firstValue("Content-Type").orElse("");
    if (r.statusCode() != 200) {
      throw new RefusedException("queue fetch refused (" + r.statusCode() + "): " + new String(r.body(), java.nio.charset.StandardCharsets.UTF_8),
          null);
    }
    try {
      if (type.startsWith(QueueBatch.MEDIA_TYPE)) {
        return QueueBatch.fromBytes(r.body());
      }
      Map<?, ?> m = JSON.readValue(r.body(), Map.class);
      java.util.List<QueueBatch.Queued> out = new java.util.ArrayList<>();
      for (Object o : (java.util.List<?>) m.get("messages")) {
        Map<?, ?> e = (Map<?, ?>) o;
        out.add(new QueueBatch.Queued(((Number) e.get("seq")).longValue(), String.valueOf(e.get("kind")),
            Bytes.wrap(java.util.HexFormat.of().parseHex((String) e.get("groupId"))),
            Bytes.wrap(java.util.Base64.getDecoder().decode((String) e.get("data")))));
      }
      java.util.List<Bytes> expired = new java.util.ArrayList<>();
      if (m.get("expired") instanceof java.util.List<?> l) {
        for (Object g : l) {
          expired.add(Bytes.wrap(java.util.HexFormat.of().parseHex(String.valueOf(g))));
        }
      }
      long position = m.get("position") instanceof Number n ? n.longValue() : 0;
      return new QueueBatch(position, out, expired);
    } catch (org.jmls.codec.DecodeException | IOException | RuntimeException e) {
      throw new RefusedException("the DS's queue answer does not decode: " + e.getMessage(), e);
    }
  }

  /**
   * A signed request, to be sent by the caller's own HTTP client within the DS's clock window
   * ({@link SignedRequest#SKEW_MILLIS}): for pipelines and load generators that sign ahead.
   */
  public HttpRequest prepare(String method, String path, byte[] body, String contentType) throws CryptoException {
    return prepare(nodes.current(), method, path, body, contentType);
  }

  private HttpRequest prepare(String base, String method, String path, byte[] body, String contentType) throws CryptoException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
    sign(method, path, body, b::header);
    b.header("Content-Type", contentType)
        .method(method, body.length == 0 && method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    return b.build();
  }

  /**
   * Opens the DS's WebSocket ({@code /ds/ws}, authenticated like every request): {@code onWake}
   * runs on each content-free wake-up, sent when this device's queue grows. The socket carries no
   * message content; fetch the queue after a wake-up. Close the returned session when done.
   */
  public DsSession openWakeups(Runnable onWake) throws IOException, InterruptedException, CryptoException {
    return openSession(new DsSession.Listener() {
      @Override
      public void pushed(DsSession.Pushed p) {
        // not asked for: a wake-up session never sends a deliver request
      }

      @Override
      public void wake() {
        onWake.run();
      }
    });
  }


  /**
   * Opens a WebSocket session ({@link DsSession}) on {@code /ds/ws}, authenticated like every
   * request: for posting without a signature per message and for pushed delivery.
   */
  public DsSession openSession(DsSession.Listener listener) throws IOException, InterruptedException, CryptoException {
    return nodes.call(base -> {
      URI uri = URI.create(base.replaceFirst("^http", "ws") + "/ds/ws");
      DsSession session = new DsSession(listener);
      try {
        java.net.http.WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        sign("GET", "/ds/ws", new byte[0], b::header);
        session.attach(b.buildAsync(uri, session.socketListener()).get(15, java.util.concurrent.TimeUnit.SECONDS));
        return session;
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new IOException("the DS refused or did not answer the WebSocket: " + e.getMessage(), e);
      }
    });
  }

  /** Adds the signed-request headers ({@link SignedRequest}) for one request through {@code header}. */
  private void sign(String method, String path, byte[] body, java.util.function.BiConsumer<String, String> header)
      throws CryptoException {
    // Strictly increasing per client: two identical requests in one millisecond would otherwise be one
    // signature, and the DS accepts each signed request once.
    long ts = lastTimestamp.updateAndGet(last -> Math.max(System.currentTimeMillis(), last + 1));
    header.accept(SignedRequest.CLIENT, clientId);
    header.accept(SignedRequest.TIMESTAMP, Long.toString(ts));
    header.accept(SignedRequest.SIGNATURE, SignedRequest.sign(crypto, signatureKey, method, path, ts, clientId, body));
  }
}
