package org.jmls.ds.http;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jmls.Bytes;
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

import static org.jmls.ds.http.Bodies.*;

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
  private final org.jmls.ds.ClaimRouter claims;
  private final org.jmls.ds.RemoteClients remoteClients;
  private final GroupDirectory groups;
  private final ReplayGuard replays;
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
  private final LiveDelivery live = new LiveDelivery();
  private final Map<String, long[]> buckets = new ConcurrentHashMap<>();
  /** Default requests per second a device may sustain (token bucket, burst of 4x). */
  public static final int RATE_PER_SECOND = 200;
  private volatile int ratePerSecond = RATE_PER_SECOND;

  /** How long a WebSocket session may stay silent before the DS closes it (clients ping every minute). */
  public static final java.time.Duration SESSION_IDLE_TIMEOUT = java.time.Duration.ofMinutes(5);
  private volatile java.time.Duration sessionIdleTimeout = SESSION_IDLE_TIMEOUT;

  /** Sets how long a silent WebSocket session is kept (abandoned sockets are closed after it). */
  public DsServer sessionIdleTimeout(java.time.Duration d) {
    this.sessionIdleTimeout = d;
    return this;
  }

  /** How often the credentials of devices with open sessions are checked again (revocation, expiry). */
  public static final java.time.Duration CREDENTIAL_RECHECK = java.time.Duration.ofSeconds(30);
  private volatile long credentialRecheckMillis = CREDENTIAL_RECHECK.toMillis();
  /** Devices whose stored credential was found valid, until when (epoch millis). */
  private final Map<String, Long> credentialValid = new ConcurrentHashMap<>();
  private final java.util.concurrent.ScheduledExecutorService sweeper = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "jmls-ds-credential-sweep");
    t.setDaemon(true);
    return t;
  });
  private java.util.concurrent.ScheduledFuture<?> sweep;

  /**
   * Sets how often credentials are checked again: a revoked or expired device is refused by
   * signed requests and its WebSocket sessions are closed (4403) within this time.
   */
  public synchronized DsServer credentialRecheck(java.time.Duration every) {
    credentialRecheckMillis = every.toMillis();
    credentialValid.clear();
    if (sweep != null) {
      sweep.cancel(false);
    }
    sweep = sweeper.scheduleAtFixedRate(this::sweepSessions, credentialRecheckMillis, credentialRecheckMillis,
        java.util.concurrent.TimeUnit.MILLISECONDS);
    return this;
  }

  /** Whether the device's stored credential is still valid (chain, lifetime, revocation); remembered for the recheck interval. */
  private boolean credentialStillValid(KeyPackageDirectory.Client c, boolean fresh) throws SQLException {
    long now = System.currentTimeMillis();
    Long until = credentialValid.get(c.clientId());
    if (!fresh && until != null && until > now) {
      return true;
    }
    Bytes stored = keyPackages.storedCredential(c.clientId());
    boolean ok;
    try {
      org.jmls.message.Credential cred = org.jmls.codec.TlsReader.decode(stored.unsafeArray(), org.jmls.message.Credential::decode);
      services.credentials().validate(cred, c.signatureKey());
      ok = true;
    } catch (DecodeException | ValidationException | RuntimeException e) {
      ok = false;
    }
    if (ok) {
      credentialValid.put(c.clientId(), now + credentialRecheckMillis);
    } else {
      credentialValid.remove(c.clientId());
    }
    return ok;
  }

  /**
   * The device's credential may have changed status (its AS, in this process, revoked it):
   * forgets the cached check, so its next request, claim or session sweep asks again, and closes
   * its sessions now if it is no longer valid.
   */
  public void recheckCredential(String clientId) {
    credentialValid.remove(clientId);
    sweeper.execute(() -> {
      try {
        KeyPackageDirectory.Client c = keyPackages.client(clientId);
        if (c != null && !credentialStillValid(c, true)) {
          live.closeSessions(clientId, 4403, "credential revoked or expired");
        }
      } catch (SQLException | RuntimeException ex) {
        // storage briefly unavailable: the periodic sweep checks again
      }
    });
  }

  /** Closes the sessions of devices whose credential is no longer valid. */
  private void sweepSessions() {
    for (String client : live.online()) {
      try {
        KeyPackageDirectory.Client c = keyPackages.client(client);
        if (c == null || !credentialStillValid(c, true)) {
          live.closeSessions(client, 4403, "credential revoked or expired");
        }
      } catch (SQLException | RuntimeException ex) {
        // storage briefly unavailable: the next sweep checks again
      }
    }
  }

  /**
   * Federation: this DS serves the users of {@code domain}; claims of other domains' users go to
   * {@code claims} (their providers). See {@link org.jmls.ds.ClaimRouter}.
   */
  public DsServer federate(String domain, org.jmls.ds.RemoteClients.Claims remote) {
    claims.federate(domain, remote);
    return this;
  }

  /** Devices of other providers this DS learnt of (federation). */
  public org.jmls.ds.RemoteClients remoteClients() {
    return remoteClients;
  }

  /** The KeyPackage directory of this DS's own users. */
  public KeyPackageDirectory keyPackages() {
    return keyPackages;
  }

  /**
   * Runs as one node of several on one PostgreSQL ({@code bus} shared): messages stored by any node
   * are pushed to the sessions and wake the long-polls of this one, in sequence order; a device
   * whose credential another node renewed is read again here. A local bus changes nothing.
   */
  public DsServer cluster(org.jmls.service.ClusterBus bus) throws SQLException {
    if (!bus.shared()) {
      return this;
    }
    groups.cluster(bus);
    keyPackages.cluster(bus);
    return this;
  }

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
    // A device revoked or expired since it uploaded is not handed out (checked as its requests are).
    keyPackages.gate(id -> {
      KeyPackageDirectory.Client c = keyPackages.client(id);
      return c != null && credentialStillValid(c, false);
    });
    this.claims = new org.jmls.ds.ClaimRouter(keyPackages);
    this.remoteClients = new org.jmls.ds.RemoteClients(db);
    this.groups = new GroupDirectory(db, services);
    this.replays = new ReplayGuard(db, services.clock());
    groups.onLiveDelivery(live::interested, live::deliver, live::resync);
    this.app = app;
    routes();
    credentialRecheck(CREDENTIAL_RECHECK);
  }

  /**
   * A Javalin app configured as jmls servers expect: no banner, bodies up to {@link #MAX_BODY}
   * except commit bundles (up to {@link CommitBundle#MAX_SIZE}: a Welcome to a large bulk add).
   */
  public static Javalin newApp() {
    Javalin app = Javalin.create(cfg -> {
      cfg.http.maxRequestSize = CommitBundle.MAX_SIZE;
      cfg.showJavalinBanner = false;
    });
    app.before(ctx -> {
      boolean bundle = ctx.path().equals("/ds/groups/commit");
      long length = ctx.contentLength();
      if (!bundle && length > MAX_BODY) {
        ServiceHttp.error(ctx, 413, "request.too-large", "request bodies are limited to " + MAX_BODY + " bytes here");
        ctx.skipRemainingHandlers();
      }
    });
    return app;
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
    live.close();
    sweeper.shutdownNow();
  }

  // ------------------------------------------------------------------ helpers

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
    if (!credentialStillValid(c, false)) {
      throw new AuthException(401, "this device's credential is revoked or expired; enrol again");
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

    // A renewed credential replaces the stored one (same device, same signature key).
    app.post("/ds/clients/credential", signed((ctx, c) -> {
      Map<?, ?> body = json(ctx);
      Bytes credential = Bytes.wrap(b64(body, "credential"));
      org.jmls.message.Credential cred;
      try {
        cred = org.jmls.codec.TlsReader.decode(credential.unsafeArray(), org.jmls.message.Credential::decode);
      } catch (DecodeException e) {
        throw new ValidationException("ds.credential-decode", "the credential does not decode");
      }
      services.credentials().validate(cred, c.signatureKey());
      keyPackages.updateCredential(c.clientId(), credential);
      credentialValid.remove(c.clientId());
      ctx.json(Map.of("clientId", c.clientId()));
    }));

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
      int suite = KeyPackageDirectory.claimedSuite(body.get("cipherSuite"), "ds.request-field");
      List<Map<String, Object>> out = new ArrayList<>();
      if (body.get("userIds") != null) {
        // Batched: every device of each user, entries tagged with their user.
        List<String> users = strings(body.get("userIds"));
        if (users.isEmpty() || users.size() > KeyPackageDirectory.MAX_BATCH_CLAIM) {
          throw new ValidationException("ds.request-field", "'userIds' holds 1 to " + KeyPackageDirectory.MAX_BATCH_CLAIM + " users");
        }
        for (Map.Entry<String, List<KeyPackageDirectory.Claimed>> e : claims.claimAll(users, suite).entrySet()) {
          for (KeyPackageDirectory.Claimed k : e.getValue()) {
            out.add(Map.of("userId", e.getKey(), "clientId", k.clientId(), "data", enc(k.keyPackageMessage()), "lastResort", k.lastResort()));
          }
        }
      } else {
        String user = str(body, "userId");
        for (KeyPackageDirectory.Claimed k : claims.claimAll(List.of(user), suite).get(user)) {
          out.add(Map.of("clientId", k.clientId(), "data", enc(k.keyPackageMessage()), "lastResort", k.lastResort()));
        }
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
      GroupDirectory.Accepted a;
      if (String.valueOf(ctx.contentType()).startsWith(CommitBundle.MEDIA_TYPE)) {
        CommitBundle b;
        try {
          b = CommitBundle.fromBytes(ctx.bodyAsBytes());
        } catch (DecodeException e) {
          throw new ValidationException("ds.commit-bundle", "the commit bundle does not decode: " + e.getMessage());
        }
        a = groups.commit(c.clientId(), b.commit(), b.welcome(), b.groupInfo(), b.added(), b.removed(), b.treeChanges());
      } else {
        // The JSON form (base64 fields), kept for clients from before the binary bundle.
        Map<?, ?> body = json(ctx);
        MlsMessage welcome = body.get("welcome") instanceof String ? mls(b64(body, "welcome")) : null;
        a = groups.commit(c.clientId(), mls(b64(body, "commit")), welcome, mls(b64(body, "groupInfo")),
            strings(body.get("added")), strings(body.get("removed")));
      }
      ctx.json(Map.of("epoch", a.epoch(), "seq", a.logSeq()));
    }));

    app.post("/ds/messages", signed((ctx, c) -> {
      ctx.json(Map.of("seq", groups.post(c.clientId(), mls(ctx.bodyAsBytes()))));
    }));

    app.get("/ds/queue", signed((ctx, c) -> {
      long after = ctx.queryParamAsClass("after", Long.class).getOrDefault(0L);
      int limit = ctx.queryParamAsClass("limit", Integer.class).getOrDefault(100);
      long wait = Math.min(30_000, ctx.queryParamAsClass("wait", Long.class).getOrDefault(0L));
      GroupDirectory.Batch got = groups.read(c.clientId(), after, limit);
      long deadline = System.currentTimeMillis() + wait;
      while (got.messages().isEmpty() && System.currentTimeMillis() < deadline) {
        live.awaitNews(c.clientId(), deadline);
        got = groups.read(c.clientId(), after, limit);
      }
      List<Bytes> expiredGroups = got.expired();
      if (String.valueOf(ctx.header("Accept")).contains(QueueBatch.MEDIA_TYPE)) {
        List<QueueBatch.Queued> queued = new ArrayList<>();
        for (GroupDirectory.Delivery d : got.messages()) {
          queued.add(new QueueBatch.Queued(d.seq(), d.kind().name().toLowerCase(java.util.Locale.ROOT), d.groupId(), d.message()));
        }
        ctx.contentType(QueueBatch.MEDIA_TYPE).result(new QueueBatch(got.position(), queued, expiredGroups).toByteArray());
        return;
      }
      List<Map<String, Object>> out = new ArrayList<>();
      for (GroupDirectory.Delivery d : got.messages()) {
        out.add(Map.of("seq", d.seq(), "groupId", HexFormat.of().formatHex(d.groupId().unsafeArray()),
            "kind", d.kind().name().toLowerCase(java.util.Locale.ROOT), "data", enc(d.message())));
      }
      Map<String, Object> answer = new java.util.LinkedHashMap<>();
      answer.put("messages", out);
      answer.put("position", got.position());
      if (!expiredGroups.isEmpty()) {
        answer.put("expired", expiredGroups.stream().map(Bytes::hex).toList());
      }
      ctx.json(answer);
    }));

    app.post("/ds/queue/ack", signed((ctx, c) -> {
      Map<?, ?> body = json(ctx);
      if (!(body.get("upto") instanceof Number)) {
        throw new ValidationException("ds.request-field", "field 'upto' (number) is missing");
      }
      ctx.json(Map.of("removed", groups.ack(c.clientId(), ((Number) body.get("upto")).longValue())));
    }));

    app.get("/ds/groups/{groupId}/log", signed((ctx, c) -> {
      byte[] gid = groupIdParam(ctx);
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

    app.get("/ds/groups/{groupId}/tree", signed((ctx, c) -> {
      byte[] gid = groupIdParam(ctx);
      Long epoch = ctx.queryParamAsClass("epoch", Long.class).allowNullable().get();
      long at = epoch != null ? epoch : groups.epoch(Bytes.wrap(gid));
      ctx.contentType("application/octet-stream").result(groups.tree(c.clientId(), Bytes.wrap(gid), at));
    }));

    app.get("/ds/groups/{groupId}/group-info", signed((ctx, c) -> {
      byte[] gid = groupIdParam(ctx);
      ctx.contentType("message/mls").result(groups.groupInfo(c.clientId(), Bytes.wrap(gid)).toByteArray());
    }));

    // A fault in a WebSocket handler is not swallowed: the session closes with 1011 (server error)
    // and its reason, so the device reconnects and resumes from its cursor instead of waiting on an
    // answer that will not come.
    app.wsException(Exception.class, (e, ctx) -> {
      try {
        ctx.closeSession(1011, "server error; reconnect");
      } catch (RuntimeException closed) {
        // already closed
      }
    });
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
                && replays.firstUse(sig, t, true)
                && credentialStillValid(c, false);
          } catch (NumberFormatException | SQLException e) {
            ok = false;
          }
        }
        if (!ok) {
          ctx.closeSession(4401, "unauthenticated");
          return;
        }
        ctx.session.setMaxBinaryMessageSize(MAX_BODY);
        ctx.session.setIdleTimeout(sessionIdleTimeout);
        ctx.session.getRemote().setBatchMode(org.eclipse.jetty.websocket.api.BatchMode.ON);
        ctx.session.setMaxTextMessageSize(64 * 1024);
        ctx.attribute("client", client);
        PushChannel ch = new PushChannel(ctx, client, groups, this::allow, live.pushPool);
        ctx.attribute("channel", ch);
        live.opened(client, ch);
      });
      ws.onClose(ctx -> {
        String client = ctx.attribute("client");
        PushChannel ch = ctx.attribute("channel");
        if (client != null && ch != null) {
          live.closed(client, ch);
        }
      });
      ws.onBinaryMessage(ctx -> {
        PushChannel ch = ctx.attribute("channel");
        if (ch != null) {
          ch.post(ctx.data(), ctx.offset(), ctx.length());
        }
      });
      ws.onMessage(ctx -> {
        PushChannel ch = ctx.attribute("channel");
        if (ch != null) {
          ch.control(ctx.message());
        }
      });
    });
  }

}
