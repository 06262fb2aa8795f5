package org.jmls.federation;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jmls.ValidationException;
import org.jmls.as.AuthenticationService;
import org.jmls.as.FederatedCredentialValidator;
import org.jmls.as.RemoteRevocations;
import org.jmls.ds.GroupDirectory;
import org.jmls.ds.KeyPackageDirectory;
import org.jmls.ds.http.DsServer;
import org.jmls.ds.http.ReplayGuard;
import org.jmls.group.CredentialValidator;
import org.jmls.group.GroupServices;
import org.jmls.service.ClusterBus;
import org.jmls.service.Database;
import org.jmls.service.ServiceHttp;

/**
 * A provider's federation endpoints ({@code /fed/}) and the wiring of its AS and DS to its peers.
 *
 * <ul>
 *   <li>{@code GET /fed/provider}: this provider's certificate (DER), for peers to learn its key.
 *   <li>{@code POST /fed/key-packages/claim} (provider-signed): {@code {"userIds": [...],
 *       "cipherSuite": n}}, users of this provider only; one KeyPackage per device of each, handed
 *       out once as for local claims: {@code {"keyPackages": [{"userId", "clientId", "data",
 *       "lastResort"}]}}.
 * </ul>
 */
public final class Federation {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Peers peers;
  private final DsServer ds;
  private final ReplayGuard replays;
  private final Clock clock;
  private Notifier notifier;
  private volatile java.util.function.Consumer<String> log = line -> org.slf4j.LoggerFactory.getLogger(Federation.class).warn(line);

  private Federation(Peers peers, DsServer ds, ReplayGuard replays, Clock clock) {
    this.peers = peers;
    this.ds = ds;
    this.replays = replays;
    this.clock = clock;
  }

  /**
   * The credential check of a federated provider: its own domain by {@code local}, each peer's by
   * the peer's AS root, with revocations asked of the peer's AS (trusted for the configured TTL).
   */
  public static CredentialValidator credentials(FederationConfig config, CredentialValidator local, Clock clock) {
    Map<String, FederatedCredentialValidator.PeerAuthority> authorities = new LinkedHashMap<>();
    for (FederationConfig.Peer p : config.peerList()) {
      authorities.put(p.domain(), new FederatedCredentialValidator.PeerAuthority(p.root(),
          new RemoteRevocations(p.url(), "the AS of " + p.domain(), config.statusTtl(), clock)));
    }
    return new FederatedCredentialValidator(config.domain(), local, authorities, clock);
  }

  /**
   * Installs the {@code /fed/} routes on {@code app} and makes the DS claim other domains' users at
   * their providers. {@code services} must check credentials with {@link #credentials}.
   */
  public static Federation install(Javalin app, FederationConfig config, AuthenticationService as, DsServer ds, Database dsDb,
      GroupServices services) {
    if (!config.domain().equals(as.domain())) {
      throw new IllegalArgumentException("the AS must be restricted to the provider's domain " + config.domain());
    }
    Clock clock = services.clock();
    Peers peers = new Peers(config, as::providerIdentity, clock);
    Federation f = new Federation(peers, ds, new ReplayGuard(dsDb, clock), clock);
    ds.federate(config.domain(), new FederatedClaims(peers, ds.remoteClients(), services));
    HubRelay relay = new HubRelay(peers);
    ds.groups().relay(relay);
    ds.groups().onAppended(appended -> {
      for (GroupDirectory.Appended a : appended) {
        if (a.kind() == GroupDirectory.Kind.COMMIT) {
          relay.forget(a.groupId()); // a hub's commit delivered here: its cached GroupInfo is out of date
        }
      }
    });
    f.notifier = new Notifier(peers, ds.groups().federated(), ds.groups(), dsDb, line -> f.log.accept(line));
    ServiceHttp.installCommon(app);
    RelayRoutes.install(app, f, ds.groups(), config.domain());
    app.get("/fed/provider", ctx -> ctx.contentType("application/pkix-cert").result(as.providerIdentity().certificate().getEncoded()));
    app.post("/fed/key-packages/claim", ctx -> f.claim(ctx, f.authenticate(ctx)));
    // For this provider's devices: the roots of every domain whose credentials they will meet.
    app.get("/fed/roots", ctx -> {
      Map<String, String> roots = new java.util.TreeMap<>();
      roots.put(config.domain(), Base64.getEncoder().encodeToString(as.root().getEncoded()));
      for (FederationConfig.Peer p : config.peerList()) {
        try {
          roots.put(p.domain(), Base64.getEncoder().encodeToString(p.asRoot().getEncoded()));
        } catch (ValidationException notYet) {
          // that peer's root is not configured yet
        }
      }
      ctx.json(Map.of("domain", config.domain(), "roots", roots));
    });
    f.notifier.start();
    return f;
  }

  /**
   * Tells every peer this provider is up (best effort, in the background), so deliveries that
   * back off after its absence resume at once. Call once the HTTP server listens.
   */
  public void announce() {
    Thread hello = new Thread(() -> {
      for (FederationConfig.Peer p : peers.config().peerList()) {
        try {
          peers.send(p.domain(), "POST", "/fed/wake", new byte[0], "application/json");
        } catch (ValidationException | RuntimeException e) {
          // down too: its own start will wake us
        }
      }
    }, "jmls-fed-hello");
    hello.setDaemon(true);
    hello.start();
  }

  /** A peer said it is up: this node's delivery to it (if any) goes on at once, and, with {@link #cluster}, every other node's. */
  void wakeDelivery(String peer) {
    notifier.peerUp(peer);
    ClusterBus b = bus;
    if (b != null && b.shared()) {
      try {
        b.publish(PEER_UP, peer);
      } catch (SQLException e) {
        // the database is away: the node that delivers to the peer retries when its backoff ends
      }
    }
  }

  private static final String PEER_UP = "fed.peer-up";
  private volatile ClusterBus bus;

  /**
   * Several nodes share this provider's database ({@code bus}, the one its DS was {@linkplain
   * org.jmls.ds.GroupDirectory#cluster clustered} with): a peer's {@code POST /fed/wake}, taken by
   * any node, reaches the node that delivers to that peer.
   */
  public void cluster(ClusterBus bus) {
    this.bus = bus;
    bus.on(PEER_UP, m -> {
      if (!bus.mine(m)) { // a domain that is not a peer here is ignored
        notifier.peerUp(m.data());
      }
    });
  }

  /**
   * Waits until everything owed to {@code peer} has been delivered and acknowledged (its outbox
   * empty, nothing appended since); false if {@code timeout} passed first, as it does on a node that
   * does not deliver to the peer (several nodes). For a graceful stop or a test that compares stored
   * state.
   */
  public boolean awaitDelivered(String peer, java.time.Duration timeout) throws InterruptedException {
    return notifier.awaitIdle(peer, timeout.toMillis());
  }

  /** Stops delivering to peers (the server is closing). */
  public void close() {
    notifier.close();
  }

  /**
   * Per peer: entries delivered, failed attempts, backlog (last seen), whether it answers, and how
   * often its outbox was read from the database (a delivery that keeps up takes what is appended in
   * memory); for /metrics.
   */
  public record PeerTraffic(String peer, long delivered, long failures, long backlog, boolean reachable, long outboxReads,
      boolean delivering) {}

  public List<PeerTraffic> traffic() {
    List<PeerTraffic> out = new ArrayList<>();
    notifier.counters().forEach((peer, c) -> out.add(new PeerTraffic(peer, c.sentEntries.get(), c.failures.get(), c.backlog.get(),
        c.reachable, c.outboxReads.get(), c.delivering)));
    return out;
  }

  /** Where federation reports peer connection changes (one line each); by default a WARN log line. */
  public void log(java.util.function.Consumer<String> sink) {
    this.log = sink;
  }

  public Peers peers() {
    return peers;
  }

  /** The domain of the peer that signed this request; refused unless it verifies, is fresh and was not seen before. */
  /** As {@link #authenticate(Context, boolean)}, for requests that change state: each signed request is taken once, on every node. */
  String authenticate(Context ctx) throws ValidationException, SQLException {
    return authenticate(ctx, true);
  }

  /**
   * As {@link #authenticate}, for requests whose replay changes nothing: reads, wakes and
   * deliveries (a follower skips entries at or below the last it stored from that hub). They are
   * refused a second use on this node (in memory), as the DS does with its devices' reads, which
   * spares each delivery a write to the database.
   */
  String authenticateIdempotent(Context ctx) throws ValidationException, SQLException {
    return authenticate(ctx, false);
  }

  /** The provider a signed request comes from; {@code everyNode}: its single use recorded in the database. */
  private String authenticate(Context ctx, boolean everyNode) throws ValidationException, SQLException {
    String from = ctx.header(ProviderRequest.FROM);
    String ts = ctx.header(ProviderRequest.TIMESTAMP);
    String sig = ctx.header(ProviderRequest.SIGNATURE);
    if (from == null || ts == null || sig == null) {
      throw new ValidationException("fed.provider-unauthenticated", "a federation request names its provider and is signed ("
          + ProviderRequest.FROM + ", " + ProviderRequest.TIMESTAMP + ", " + ProviderRequest.SIGNATURE + ")");
    }
    long t;
    try {
      t = Long.parseLong(ts);
    } catch (NumberFormatException e) {
      throw new ValidationException("fed.provider-unauthenticated", "the timestamp is not a number");
    }
    if (Math.abs(clock.millis() - t) > ProviderRequest.SKEW_MILLIS) {
      throw new ValidationException("fed.provider-unauthenticated", "the request is not within five minutes of this provider's clock");
    }
    if (peers.config().peer(from) == null) {
      throw new ValidationException("fed.provider-unauthenticated", "this provider does not federate with " + from);
    }
    if (!ProviderRequest.verify(peers.keyOf(from), ctx.method().name(), ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString()),
        t, from, peers.config().domain(), ctx.bodyAsBytes(), sig)) {
      throw new ValidationException("fed.provider-unauthenticated", "the request is not signed by " + from + "'s provider key");
    }
    if (!replays.firstUse(sig, t, everyNode)) {
      throw new ValidationException("fed.provider-unauthenticated", "this signed request was already used");
    }
    return from;
  }

  private void claim(Context ctx, String from) throws ValidationException, SQLException {
    Map<?, ?> body;
    try {
      body = JSON.readValue(ctx.bodyAsBytes(), Map.class);
    } catch (java.io.IOException e) {
      throw new ValidationException("fed.request-body", "the body is not a JSON object");
    }
    if (body == null || !(body.get("userIds") instanceof List<?> raw) || raw.isEmpty() || raw.size() > KeyPackageDirectory.MAX_BATCH_CLAIM) {
      throw new ValidationException("fed.request-field", "'userIds' holds 1 to " + KeyPackageDirectory.MAX_BATCH_CLAIM + " users");
    }
    int suite = KeyPackageDirectory.claimedSuite(body.get("cipherSuite"), "fed.request-field");
    List<String> users = new ArrayList<>();
    String mine = "@" + peers.config().domain();
    for (Object o : raw) {
      if (!(o instanceof String u) || !u.endsWith(mine) || u.length() == mine.length()) {
        throw new ValidationException("fed.foreign-user", from + " asked for " + o + ", not a user of " + peers.config().domain());
      }
      users.add(u);
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map.Entry<String, List<KeyPackageDirectory.Claimed>> e : ds.keyPackages().claimAll(users, suite).entrySet()) {
      for (KeyPackageDirectory.Claimed k : e.getValue()) {
        out.add(Map.of("userId", e.getKey(), "clientId", k.clientId(), "data",
            Base64.getEncoder().encodeToString(k.keyPackageMessage().unsafeArray()), "lastResort", k.lastResort()));
      }
    }
    ctx.json(Map.of("keyPackages", out));
  }
}
