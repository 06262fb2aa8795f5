package org.jmls.ds.http;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.websocket.WsContext;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.MlsCrypto;
import org.jmls.ds.GroupDirectory;
import org.jmls.ds.KeyPackageDirectory;
import org.jmls.ds.StaleEpochException;
import org.jmls.group.GroupServices;
import org.jmls.message.MlsMessage;
import org.jmls.service.Database;
import org.jmls.service.ServiceHttp;

/**
 * The Delivery Service over HTTP (JSON metadata, MLS objects base64 in JSON or as {@code
 * message/mls} bodies) with WebSocket wake-ups and long-poll. Every request but registration is
 * authenticated by {@link SignedRequest}; a device reads only its own queue and uploads only its
 * own KeyPackages; only members post to a group. Errors are JSON {@code {"error": rule, "message":
 * text}} with a 4xx status; storage trouble is a 503.
 */
public final class DsServer implements AutoCloseable {
  /** Largest accepted request body. */
  public static final int MAX_BODY = 4 << 20;

  private final Javalin app;
  private final GroupServices services;
  private final KeyPackageDirectory keyPackages;
  private final GroupDirectory groups;
  private final ReplayGuard replays;
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
  private final Map<String, Set<Channel>> sockets = new ConcurrentHashMap<>();
  private final Map<String, Object> waiters = new ConcurrentHashMap<>();
  private final Map<String, long[]> buckets = new ConcurrentHashMap<>();
  /** Default requests per second a device may sustain (token bucket, burst of 4x). */
  public static final int RATE_PER_SECOND = 200;
  private volatile int ratePerSecond = RATE_PER_SECOND;

  /** Sets the per-device request rate (abuse limit). */
  public DsServer rateLimit(int perSecond) {
    this.ratePerSecond = perSecond;
    buckets.clear();
    return this;
  }

  /** The group directory behind this server (for operator settings such as the maximum group size). */
  public GroupDirectory groups() {
    return groups;
  }

  private static final class AuthException extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    AuthException(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private DsServer(Javalin app, Database db, GroupServices services) {
    this.services = services;
    this.keyPackages = new KeyPackageDirectory(db, services);
    this.groups = new GroupDirectory(db, services);
    this.replays = new ReplayGuard(db, services.clock());
    groups.onEnqueue(this::wake);
    groups.onDeliveries(this::deliver);
    this.app = app;
    routes();
  }

  /** A Javalin app configured as jmls servers expect (body limit, no banner). */
  public static Javalin newApp() {
    return Javalin.create(cfg -> {
      cfg.http.maxRequestSize = MAX_BODY;
      cfg.showJavalinBanner = false;
    });
  }

  /** Installs the DS routes (under /ds/) on an app that may serve other things too. */
  public static DsServer install(Javalin app, Database db, GroupServices services) {
    return new DsServer(app, db, services);
  }

  /** Starts the DS alone on {@code host:port} (0 for a free port). */
  public static DsServer start(String host, int port, Database db, GroupServices services) {
    DsServer s = new DsServer(newApp(), db, services);
    s.app.start(host, port);
    return s;
  }

  public int port() {
    return app.port();
  }

  @Override
  public void close() {
    app.stop();
    pushPool.shutdownNow();
  }

  /** Freshly stored application messages: waiting long-polls are woken, delivering channels get them pushed. */
  private void deliver(Map<String, List<GroupDirectory.Delivery>> byClient) {
    for (Map.Entry<String, List<GroupDirectory.Delivery>> e : byClient.entrySet()) {
      wakeLongPoll(e.getKey());
      for (Channel ch : sockets.getOrDefault(e.getKey(), Set.of())) {
        pushPool.execute(() -> ch.offer(e.getValue()));
      }
    }
  }

  private void wake(Set<String> clients) {
    for (String c : clients) {
      wakeLongPoll(c);
      for (Channel ch : sockets.getOrDefault(c, Set.of())) {
        pushPool.execute(ch::wake);
      }
    }
  }

  /** Ends the wait of a long-polling {@code GET /ds/queue} of this device, if one is waiting. */
  private void wakeLongPoll(String client) {
    Object w = waiters.get(client);
    if (w != null) {
      synchronized (w) {
        w.notifyAll();
      }
    }
  }

  // ------------------------------------------------------------------ helpers

  private static void error(Context ctx, int status, String rule, String message) {
    ServiceHttp.error(ctx, status, rule, message);
  }

  private static byte[] b64(Map<?, ?> body, String field) throws ValidationException {
    Object v = body.get(field);
    if (!(v instanceof String)) {
      throw new ValidationException("ds.request-field", "field '" + field + "' (base64) is missing");
    }
    try {
      return Base64.getDecoder().decode((String) v);
    } catch (IllegalArgumentException e) {
      throw new ValidationException("ds.request-field", "field '" + field + "' is not base64");
    }
  }

  private static String str(Map<?, ?> body, String field) throws ValidationException {
    Object v = body.get(field);
    if (!(v instanceof String) || ((String) v).isEmpty()) {
      throw new ValidationException("ds.request-field", "field '" + field + "' (text) is missing");
    }
    return (String) v;
  }

  private static Map<?, ?> json(Context ctx) throws ValidationException {
    try {
      Map<?, ?> m = ctx.bodyAsClass(Map.class);
      if (m == null) {
        throw new ValidationException("ds.request-body", "a JSON object body is required");
      }
      return m;
    } catch (RuntimeException e) {
      throw new ValidationException("ds.request-body", "the body is not a JSON object");
    }
  }

  private static MlsMessage mls(byte[] b) throws ValidationException {
    try {
      return MlsMessage.fromBytes(b);
    } catch (DecodeException e) {
      throw new ValidationException("ds.mls-decode", "an MLS message does not decode: " + e.getMessage());
    }
  }

  private static String enc(Bytes b) {
    return Base64.getEncoder().encodeToString(b.unsafeArray());
  }

  /** Verifies the signed-request headers; returns the authenticated device. */
  private KeyPackageDirectory.Client authenticate(Context ctx) throws AuthException, SQLException {
    String client = ctx.header(SignedRequest.CLIENT);
    String ts = ctx.header(SignedRequest.TIMESTAMP);
    String sig = ctx.header(SignedRequest.SIGNATURE);
    if (client == null || ts == null || sig == null) {
      throw new AuthException(401, "signed request headers are missing");
    }
    long t;
    try {
      t = Long.parseLong(ts);
    } catch (NumberFormatException e) {
      throw new AuthException(401, "bad timestamp");
    }
    if (Math.abs(services.clock().millis() - t) > SignedRequest.SKEW_MILLIS) {
      throw new AuthException(401, "timestamp outside the accepted window; check the device clock");
    }
    KeyPackageDirectory.Client c = keyPackages.client(client);
    if (c == null) {
      throw new AuthException(401, "unknown device; register first");
    }
    CipherSuite suite = CipherSuite.of(c.cipherSuite());
    MlsCrypto crypto = services.provider().suite(suite);
    if (!SignedRequest.verify(crypto, c.signatureKey(), ctx.method().name(), pathOf(ctx), t, client, ctx.bodyAsBytes(), sig)) {
      throw new AuthException(401, "the request signature does not verify");
    }
    if (!replays.firstUse(sig, t, !ctx.method().name().equals("GET"))) {
      throw new AuthException(401, "this signed request was already used (a replay); sign each request anew");
    }
    return c;
  }

  static String pathOf(Context ctx) {
    String q = ctx.queryString();
    return q == null || q.isEmpty() ? ctx.path() : ctx.path() + "?" + q;
  }

  @FunctionalInterface
  private interface Handler {
    void handle(Context ctx, KeyPackageDirectory.Client client) throws Exception;
  }

  private io.javalin.http.Handler signed(Handler h) {
    return ctx -> {
      KeyPackageDirectory.Client client;
      try {
        client = authenticate(ctx);
      } catch (AuthException e) {
        error(ctx, e.status, "ds.unauthenticated", e.getMessage());
        return;
      }
      if (!allow(client.clientId())) {
        ctx.header("Retry-After", "1");
        error(ctx, 429, "ds.rate-limited", "too many requests from this device; retry in a second");
        return;
      }
      h.handle(ctx, client);
    };
  }

  /** Per-device token bucket (abuse limit); state is per process. */
  private boolean allow(String client) {
    long now = System.nanoTime();
    int rate = ratePerSecond;
    long[] b = buckets.computeIfAbsent(client, k -> new long[] {4L * rate * 1000, now});
    synchronized (b) {
      long capacity = 4L * rate * 1000;
      long refill = (now - b[1]) / 1_000_000 * rate;
      b[0] = Math.min(capacity, b[0] + refill);
      b[1] = now;
      if (b[0] < 1000) {
        return false;
      }
      b[0] -= 1000;
      return true;
    }
  }

  // ------------------------------------------------------------------ routes

  private void routes() {
    app.exception(StaleEpochException.class, (e, ctx) ->
        ctx.status(409).json(Map.of("error", "ds.stale-epoch", "message", e.getMessage(), "currentEpoch", e.currentEpoch())));
    ServiceHttp.installCommon(app);

    // Registration proves possession of the signature key by signing the request with it.
    app.post("/ds/clients", ctx -> {
      Map<?, ?> body = json(ctx);
      String clientId = str(body, "clientId");
      String userId = str(body, "userId");
      Bytes key = Bytes.wrap(b64(body, "signatureKey"));
      Bytes credential = Bytes.wrap(b64(body, "credential"));
      int suiteId = body.get("cipherSuite") instanceof Number ? ((Number) body.get("cipherSuite")).intValue() : 1;
      CipherSuite suite = CipherSuite.of(suiteId);
      if (suite == null) {
        throw new ValidationException("ds.cipher-suite", "unsupported cipher suite " + suiteId);
      }
      String ts = ctx.header(SignedRequest.TIMESTAMP);
      String sig = ctx.header(SignedRequest.SIGNATURE);
      long t = ts == null ? 0 : Long.parseLong(ts);
      if (sig == null || !clientId.equals(ctx.header(SignedRequest.CLIENT))
          || Math.abs(services.clock().millis() - t) > SignedRequest.SKEW_MILLIS
          || !SignedRequest.verify(services.provider().suite(suite), key, "POST", pathOf(ctx), t, clientId, ctx.bodyAsBytes(), sig)) {
        error(ctx, 401, "ds.proof-of-possession", "sign the registration with the key being registered");
        return;
      }
      if (!replays.firstUse(sig, t, true)) {
        error(ctx, 401, "ds.unauthenticated", "this signed request was already used (a replay); sign each request anew");
        return;
      }
      org.jmls.message.Credential cred;
      try {
        cred = org.jmls.codec.TlsReader.decode(credential.unsafeArray(), org.jmls.message.Credential::decode);
      } catch (DecodeException e) {
        throw new ValidationException("ds.credential-decode", "the credential does not decode");
      }
      services.credentials().validate(cred, key);
      keyPackages.register(new KeyPackageDirectory.Client(clientId, userId, key, credential, suiteId));
      ctx.status(201).json(Map.of("clientId", clientId));
    });

    app.post("/ds/key-packages", signed((ctx, c) -> {
      Map<?, ?> body = json(ctx);
      Object list = body.get("keyPackages");
      if (!(list instanceof List)) {
        throw new ValidationException("ds.request-field", "field 'keyPackages' (list) is missing");
      }
      List<KeyPackageDirectory.Upload> batch = new ArrayList<>();
      for (Object o : (List<?>) list) {
        if (!(o instanceof Map)) {
          throw new ValidationException("ds.request-field", "each KeyPackage entry is an object");
        }
        Map<?, ?> e = (Map<?, ?>) o;
        batch.add(new KeyPackageDirectory.Upload(Bytes.wrap(b64(e, "data")), Boolean.TRUE.equals(e.get("lastResort"))));
      }
      ctx.status(201).json(Map.of("stored", keyPackages.upload(c.clientId(), batch)));
    }));

    app.post("/ds/key-packages/claim", signed((ctx, c) -> {
      Map<?, ?> body = json(ctx);
      int suite = body.get("cipherSuite") instanceof Number ? ((Number) body.get("cipherSuite")).intValue() : 1;
      List<Map<String, Object>> out = new ArrayList<>();
      for (KeyPackageDirectory.Claimed k : keyPackages.claim(str(body, "userId"), suite)) {
        out.add(Map.of("clientId", k.clientId(), "data", enc(k.keyPackageMessage()), "lastResort", k.lastResort()));
      }
      ctx.json(Map.of("keyPackages", out));
    }));

    app.get("/ds/key-packages/stock", signed((ctx, c) -> {
      List<Map<String, Object>> out = new ArrayList<>();
      for (KeyPackageDirectory.Stock s : keyPackages.stock(c.clientId())) {
        out.add(Map.of("cipherSuite", s.suite(), "oneTimeLeft", s.oneTimeLeft(), "hasLastResort", s.hasLastResort(),
            "low", s.low(), "rotateLastResort", s.rotateLastResort()));
      }
      ctx.json(Map.of("stock", out));
    }));

    app.post("/ds/groups", signed((ctx, c) -> {
      Map<?, ?> body = json(ctx);
      groups.create(c.clientId(), mls(b64(body, "groupInfo")), !Boolean.FALSE.equals(body.get("publicHandshakes")),
          Boolean.TRUE.equals(body.get("externalJoins")));
      ctx.status(201).json(Map.of("created", true));
    }));

    app.post("/ds/groups/commit", signed((ctx, c) -> {
      Map<?, ?> body = json(ctx);
      MlsMessage welcome = body.get("welcome") instanceof String ? mls(b64(body, "welcome")) : null;
      List<String> added = strings(body.get("added"));
      List<String> removed = strings(body.get("removed"));
      GroupDirectory.Accepted a = groups.commit(c.clientId(), mls(b64(body, "commit")), welcome, mls(b64(body, "groupInfo")),
          added, removed);
      ctx.json(Map.of("epoch", a.epoch(), "seq", a.logSeq()));
    }));

    app.post("/ds/messages", signed((ctx, c) -> {
      ctx.json(Map.of("seq", groups.post(c.clientId(), mls(ctx.bodyAsBytes()))));
    }));

    app.get("/ds/queue", signed((ctx, c) -> {
      long after = ctx.queryParamAsClass("after", Long.class).getOrDefault(0L);
      int limit = ctx.queryParamAsClass("limit", Integer.class).getOrDefault(100);
      long wait = Math.min(30_000, ctx.queryParamAsClass("wait", Long.class).getOrDefault(0L));
      List<GroupDirectory.Delivery> got = groups.fetch(c.clientId(), after, limit);
      long deadline = System.currentTimeMillis() + wait;
      while (got.isEmpty() && System.currentTimeMillis() < deadline) {
        Object w = waiters.computeIfAbsent(c.clientId(), k -> new Object());
        synchronized (w) {
          w.wait(Math.max(1, Math.min(250, deadline - System.currentTimeMillis())));
        }
        got = groups.fetch(c.clientId(), after, limit);
      }
      List<Map<String, Object>> out = new ArrayList<>();
      for (GroupDirectory.Delivery d : got) {
        out.add(Map.of("seq", d.seq(), "groupId", HexFormat.of().formatHex(d.groupId().unsafeArray()),
            "kind", d.kind().name().toLowerCase(java.util.Locale.ROOT), "data", enc(d.message())));
      }
      ctx.json(Map.of("messages", out));
    }));

    app.post("/ds/queue/ack", signed((ctx, c) -> {
      Map<?, ?> body = json(ctx);
      if (!(body.get("upto") instanceof Number)) {
        throw new ValidationException("ds.request-field", "field 'upto' (number) is missing");
      }
      ctx.json(Map.of("removed", groups.ack(c.clientId(), ((Number) body.get("upto")).longValue())));
    }));

    app.get("/ds/groups/{groupId}/log", signed((ctx, c) -> {
      byte[] gid;
      try {
        gid = HexFormat.of().parseHex(ctx.pathParam("groupId"));
      } catch (IllegalArgumentException e) {
        throw new ValidationException("ds.group-id", "the group id is hex");
      }
      long after = ctx.queryParamAsClass("after", Long.class).getOrDefault(0L);
      int limit = ctx.queryParamAsClass("limit", Integer.class).getOrDefault(100);
      List<Map<String, Object>> out = new ArrayList<>();
      Long epoch = ctx.queryParamAsClass("epoch", Long.class).allowNullable().get();
      for (GroupDirectory.LogEntry e : groups.log(c.clientId(), Bytes.wrap(gid), after, limit, epoch)) {
        out.add(Map.of("seq", e.seq(), "epoch", e.epoch(), "kind", e.kind().name().toLowerCase(java.util.Locale.ROOT),
            "sender", e.sender(), "data", enc(e.message())));
      }
      ctx.json(Map.of("entries", out));
    }));

    app.get("/ds/groups/{groupId}/group-info", signed((ctx, c) -> {
      byte[] gid;
      try {
        gid = HexFormat.of().parseHex(ctx.pathParam("groupId"));
      } catch (IllegalArgumentException e) {
        throw new ValidationException("ds.group-id", "the group id is hex");
      }
      ctx.contentType("message/mls").result(groups.groupInfo(Bytes.wrap(gid)).toByteArray());
    }));

    app.ws("/ds/ws", ws -> {
      ws.onConnect(ctx -> {
        String client = ctx.header(SignedRequest.CLIENT);
        String ts = ctx.header(SignedRequest.TIMESTAMP);
        String sig = ctx.header(SignedRequest.SIGNATURE);
        KeyPackageDirectory.Client c = client == null ? null : keyPackages.client(client);
        boolean ok = false;
        if (c != null && ts != null && sig != null) {
          try {
            long t = Long.parseLong(ts);
            ok = Math.abs(services.clock().millis() - t) <= SignedRequest.SKEW_MILLIS
                && SignedRequest.verify(services.provider().suite(CipherSuite.of(c.cipherSuite())), c.signatureKey(), "GET", "/ds/ws", t,
                    client, new byte[0], sig)
                && replays.firstUse(sig, t, true);
          } catch (NumberFormatException | SQLException e) {
            ok = false;
          }
        }
        if (!ok) {
          ctx.closeSession(4401, "unauthenticated");
          return;
        }
        ctx.session.setMaxBinaryMessageSize(MAX_BODY);
        ctx.session.getRemote().setBatchMode(org.eclipse.jetty.websocket.api.BatchMode.ON);
        ctx.session.setMaxTextMessageSize(64 * 1024);
        ctx.attribute("client", client);
        Channel ch = new Channel(ctx, client);
        ctx.attribute("channel", ch);
        sockets.computeIfAbsent(client, k -> ConcurrentHashMap.newKeySet()).add(ch);
      });
      ws.onClose(ctx -> {
        String client = ctx.attribute("client");
        Channel ch = ctx.attribute("channel");
        if (client != null && ch != null) {
          sockets.getOrDefault(client, Set.of()).remove(ch);
        }
      });
      ws.onBinaryMessage(ctx -> {
        Channel ch = ctx.attribute("channel");
        if (ch != null) {
          ch.post(ctx.data(), ctx.offset(), ctx.length());
        }
      });
      ws.onMessage(ctx -> {
        Channel ch = ctx.attribute("channel");
        if (ch != null) {
          ch.control(ctx.message());
        }
      });
    });
  }

  // ------------------------------------------------------------------ WebSocket channel

  /** Sends, replies and pushes off the writer's and Jetty's threads, so neither waits on a slow socket. */
  private final java.util.concurrent.ExecutorService pushPool = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "jmls-ds-push");
    t.setDaemon(true);
    return t;
  });

  /**
   * One authenticated WebSocket (RFC 9750 §5.2 push delivery). Without a {@code deliver} request it
   * only carries content-free wake-ups. Text frames from the device: {@code {"type":"deliver",
   * "after":N}} (push every queued message after sequence N, then each new one as it is queued) and
   * {@code {"type":"ack","upto":N}}. Binary frames from the device post a message: uint32 request
   * id, then the MLSMessage; the answer is a binary frame uint8 2, uint32 id (stored) or the text
   * frame {@code {"type":"refused","id":..,"error":rule,"message":..}}. Pushed messages are binary frames:
   * uint8 1, uint64 seq, uint8 kind (1 proposal, 2 commit, 3 application, 4 welcome), group_id<V>,
   * then the MLSMessage; they come in sequence order with none skipped.
   */
  private static final org.eclipse.jetty.websocket.api.WriteCallback NO_CALLBACK = new org.eclipse.jetty.websocket.api.WriteCallback() {};

  private final class Channel {
    private final WsContext ws;
    private final String client;
    /** Last sequence pushed; -1 while the device has not asked for delivery. */
    private long lastSent = -1;

    Channel(WsContext ws, String client) {
      this.ws = ws;
      this.client = client;
    }

    void post(byte[] data, int offset, int length) {
      if (length < 4) {
        sendText(Map.of("type", "refused", "id", -1, "error", "ds.request-field", "message", "a post frame starts with a uint32 id"));
        return;
      }
      long id = ((data[offset] & 0xFFL) << 24) | ((data[offset + 1] & 0xFF) << 16) | ((data[offset + 2] & 0xFF) << 8)
          | (data[offset + 3] & 0xFF);
      if (!allow(client)) {
        refuse(id, "ds.rate-limited", "too many requests from this device; retry in a second");
        return;
      }
      MlsMessage m;
      try {
        m = MlsMessage.fromBytes(java.util.Arrays.copyOfRange(data, offset + 4, offset + length));
      } catch (DecodeException e) {
        refuse(id, "ds.decode", e.getMessage());
        return;
      }
      groups.postAsync(client, m).whenCompleteAsync((seq, err) -> {
        if (err == null) {
          posted(id);
          return;
        }
        Throwable t = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
        if (t instanceof StaleEpochException st) {
          refuse(id, "ds.stale-epoch", st.getMessage());
        } else if (t instanceof MlsException me) {
          refuse(id, me instanceof ValidationException v ? v.ruleId() : "ds.refused", me.getMessage());
        } else {
          refuse(id, "ds.storage", "the message could not be stored; retry");
        }
      }, pushPool);
    }

    /** The answer to an accepted post: a binary frame uint8 2, uint32 id (the common case, kept small). */
    private void posted(long id) {
      byte[] f = {2, (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id};
      synchronized (this) {
        try {
          ws.session.getRemote().sendBytes(java.nio.ByteBuffer.wrap(f), NO_CALLBACK);
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
          pushPool.execute(() -> start(after));
        } else if ("ack".equals(type) && m.get("upto") instanceof Number n) {
          groups.ack(client, n.longValue());
        } else {
          sendText(Map.of("type", "error", "error", "ds.request-field", "message", "unknown control frame"));
        }
      } catch (SQLException e) {
        sendText(Map.of("type", "error", "error", "ds.storage", "message", "storage unavailable; retry"));
      }
    }

    private synchronized void start(long after) {
      lastSent = Math.max(0, after);
      drain();
    }

    /** New messages of this device, straight from the writer: pushed when they follow on, else read back. */
    synchronized void offer(List<GroupDirectory.Delivery> ds) {
      if (lastSent < 0) {
        sendText(Map.of("type", "wake"));
        return;
      }
      if (ds.isEmpty()) {
        return;
      }
      if (ds.get(0).seq() > lastSent + 1) {
        drain(); // something queued by another path came first: read everything after lastSent
        return;
      }
      for (GroupDirectory.Delivery d : ds) {
        if (d.seq() > lastSent) {
          push(d);
        }
      }
      flush();
    }

    /** Frames are batched on the session (one socket write for several); this sends what is waiting. */
    private void flush() {
      try {
        ws.session.getRemote().flush();
      } catch (java.io.IOException | RuntimeException e) {
        // closed socket
      }
    }

    /** A wake-up: a delivering channel reads what is new, another one tells the device to fetch. */
    synchronized void wake() {
      if (lastSent < 0) {
        sendText(Map.of("type", "wake"));
      } else {
        drain();
      }
    }

    private void drain() {
      try {
        List<GroupDirectory.Delivery> got;
        do {
          got = groups.fetch(client, lastSent, 1000);
          for (GroupDirectory.Delivery d : got) {
            push(d);
          }
        } while (got.size() == 1000);
        flush();
      } catch (SQLException e) {
        // storage briefly unavailable: the next wake-up or offer reads again from lastSent
      }
    }

    private void push(GroupDirectory.Delivery d) {
      org.jmls.codec.TlsWriter w = new org.jmls.codec.TlsWriter(32 + d.message().length());
      w.u8(1).u64(d.seq()).u8(d.kind().ordinal() + 1).opaque(d.groupId()).raw(d.message().unsafeArray());
      try {
        // Queued on the session in order (Jetty's frame flusher); this thread does not wait for the socket.
        ws.session.getRemote().sendBytes(java.nio.ByteBuffer.wrap(w.toByteArray()), NO_CALLBACK);
        lastSent = d.seq();
      } catch (RuntimeException e) {
        // closed: its close handler drops it; a new channel starts from the device's own cursor
      }
    }

    private void sendText(Map<String, ?> m) {
      try {
        String text = JSON.writeValueAsString(m);
        synchronized (this) {
          ws.session.getRemote().sendString(text, NO_CALLBACK);
          flush();
        }
      } catch (java.io.IOException | RuntimeException e) {
        // closed socket
      }
    }
  }

  private static List<String> strings(Object o) throws ValidationException {
    List<String> out = new ArrayList<>();
    if (o == null) {
      return out;
    }
    if (!(o instanceof List)) {
      throw new ValidationException("ds.request-field", "a list of device ids was expected");
    }
    for (Object x : (List<?>) o) {
      out.add(String.valueOf(x));
    }
    return out;
  }
}
