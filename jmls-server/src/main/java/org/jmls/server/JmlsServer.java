package org.jmls.server;

import io.javalin.Javalin;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import org.jmls.as.AsServer;
import org.jmls.as.AuthenticationService;
import org.jmls.crypto.DefaultCryptoProvider;
import org.jmls.ds.http.DsServer;
import org.jmls.group.GroupServices;
import org.jmls.group.PskStore;
import org.jmls.service.Database;

/**
 * The AS and the DS in one process (or either alone): {@code /as/}, {@code /ds/}, {@code GET
 * /health}, {@code GET /openapi.json}, {@code GET /metrics}. SQLite files in a data folder by
 * default; one PostgreSQL database when configured (all state is in the database, so several
 * processes can share it).
 */
public final class JmlsServer implements AutoCloseable {
  /** Which services to run. */
  public enum Role { BOTH, AS, DS }

  /** Startup settings. */
  public record Config(Role role, Path dataDir, String host, int port, String postgresUrl, String postgresUser,
      String postgresPassword, String adminToken, boolean developmentMode, long credentialLifetimeSeconds, String asUrl,
      String nodeName) {
    /** Settings without a remote AS (both services in one process, or the AS alone). */
    public Config(Role role, Path dataDir, String host, int port, String postgresUrl, String postgresUser,
        String postgresPassword, String adminToken, boolean developmentMode, long credentialLifetimeSeconds) {
      this(role, dataDir, host, port, postgresUrl, postgresUser, postgresPassword, adminToken, developmentMode,
          credentialLifetimeSeconds, null, null);
    }

    /** Settings with a remote AS URL (a DS alone), or null. */
    public Config(Role role, Path dataDir, String host, int port, String postgresUrl, String postgresUser,
        String postgresPassword, String adminToken, boolean developmentMode, long credentialLifetimeSeconds, String asUrl) {
      this(role, dataDir, host, port, postgresUrl, postgresUser, postgresPassword, adminToken, developmentMode,
          credentialLifetimeSeconds, asUrl, null);
    }

    /** The same settings for a node named {@code name} (one of several on one PostgreSQL). */
    public Config node(String name) {
      return new Config(role, dataDir, host, port, postgresUrl, postgresUser, postgresPassword, adminToken, developmentMode,
          credentialLifetimeSeconds, asUrl, name);
    }

    /** This node's name: as configured, else the host's name (nodes on one PostgreSQL should each have their own). */
    public String nodeNameOrDefault() {
      if (nodeName != null) {
        return nodeName;
      }
      try {
        String h = java.net.InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
        return h.isEmpty() ? "node" : h.substring(0, Math.min(64, h.length()));
      } catch (java.io.IOException e) {
        return "node";
      }
    }
  }

  /**
   * Credential checks for a DS deployed apart from its AS: the root certificate fetched from the
   * AS at startup, revocation asked of the AS's status endpoint on every check (a revoked answer is
   * remembered; a not-revoked one is not, so a revocation takes effect at once).
   */
  static org.jmls.group.CredentialValidator remoteAs(String asUrl, boolean allowBasic) throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    byte[] root = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(asUrl + "/as/root")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofByteArray()).body();
    return new org.jmls.as.X509CredentialValidator(new org.bouncycastle.cert.X509CertificateHolder(root), Clock.systemUTC(),
        new org.jmls.as.RemoteRevocations(java.net.URI.create(asUrl), "this deployment's AS", java.time.Duration.ZERO, Clock.systemUTC()),
        allowBasic);
  }

  private final Javalin app;
  private final Database asDb;
  private final Database dsDb;
  private final String adminToken;
  private DsServer ds;
  private org.jmls.federation.Federation federation;
  private org.jmls.service.ClusterBus bus;
  /** Cluster topic: the AS of some node revoked a device's credential (data: the client id). */
  static final String REVOKED = "as.revoked";

  private JmlsServer(Javalin app, Database asDb, Database dsDb, String adminToken) {
    this.app = app;
    this.asDb = asDb;
    this.dsDb = dsDb;
    this.adminToken = adminToken;
  }

  private static Database open(Config c, String name) throws IOException {
    String migrations = "db/" + name;
    return c.postgresUrl() == null ? Database.sqlite(c.dataDir(), name, migrations)
        : Database.postgres(c.postgresUrl(), c.postgresUser(), c.postgresPassword(), migrations);
  }

  /**
   * The operator token kept in {@code dir/admin-token}, made (24 random bytes, hex, readable by its
   * owner only) when the file is not there yet.
   */
  public static String adminTokenIn(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve("admin-token");
    if (!Files.exists(file)) {
      byte[] t = new byte[24];
      new SecureRandom().nextBytes(t);
      Files.writeString(file, HexFormat.of().formatHex(t) + "\n");
      try {
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException ignored) {
        // not a POSIX file system
      }
    }
    return Files.readString(file).trim();
  }

  /** Starts the configured services; returns once they listen. */
  public static JmlsServer start(Config c) throws Exception {
    return start(c, null);
  }

  /**
   * Starts the configured services as a provider federated with the peers of {@code federation}
   * (null: alone). Federation needs the AS and the DS in one process: the AS certifies the
   * provider's key and is restricted to the provider's domain.
   */
  public static JmlsServer start(Config c, org.jmls.federation.FederationConfig federation) throws Exception {
    if (federation != null && c.role() != Role.BOTH) {
      throw new IllegalArgumentException("a federated provider runs its AS and DS in one process ('jmls server')");
    }
    Files.createDirectories(c.dataDir());
    String token = c.adminToken() != null ? c.adminToken() : adminTokenIn(c.dataDir());
    Javalin app = DsServer.newApp();
    PrometheusRegistry registry = new PrometheusRegistry();
    Counter requests = Counter.builder().name("jmls_http_requests_total").help("HTTP requests by method, route and status")
        .labelNames("method", "route", "status").register(registry);
    app.after(ctx -> requests.labelValues(ctx.method().name(), ctx.endpointHandlerPath(), Integer.toString(ctx.statusCode())).inc());
    app.get("/metrics", ctx -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      new PrometheusTextFormatWriter(false).write(out, registry.scrape());
      ctx.contentType(PrometheusTextFormatWriter.CONTENT_TYPE).result(out.toByteArray());
    });
    app.get("/openapi.json", ctx -> {
      try (InputStream in = JmlsServer.class.getResourceAsStream("/openapi.json")) {
        ctx.contentType("application/json").result(in.readAllBytes());
      }
    });
    Database asDb = null;
    Database dsDb = null;
    org.jmls.service.ClusterBus bus = null;
    org.jmls.federation.Federation fed = null;
    DsServer dsServer = null;
    AuthenticationService as = null;
    if (c.role() != Role.DS) {
      asDb = open(c, "as");
      as = new AuthenticationService(asDb, DefaultCryptoProvider.instance(), Clock.systemUTC(),
          federation == null ? "jmls" : federation.domain(), c.credentialLifetimeSeconds(), c.developmentMode());
      if (federation != null) {
        as.domain(federation.domain());
      }
      AsServer.install(app, as, token);
      // The root as PEM, for operators to hand to peers (federation) or to devices that pin it.
      Files.writeString(c.dataDir().resolve("as-root.pem"), org.jmls.federation.FederationConfig.pem(as.root()));
    }
    if (c.role() != Role.AS) {
      dsDb = open(c, "ds");
      org.jmls.group.CredentialValidator credentials;
      if (as != null) {
        credentials = as.validator(c.developmentMode());
        if (federation != null) {
          credentials = org.jmls.federation.Federation.credentials(federation, credentials, Clock.systemUTC());
        }
      } else if (c.asUrl() != null) {
        credentials = remoteAs(c.asUrl(), c.developmentMode());
      } else if (c.developmentMode()) {
        credentials = org.jmls.group.CredentialValidator.ACCEPT_ALL;
      } else {
        throw new IllegalArgumentException("a DS without its AS needs the AS URL (--as-url) or development mode (--dev)");
      }
      GroupServices services = new GroupServices(DefaultCryptoProvider.instance(), Clock.systemUTC(), credentials, PskStore.NONE, null);
      DsServer ds = DsServer.install(app, dsDb, services);
      dsServer = ds;
      org.jmls.service.ClusterBus b = org.jmls.service.ClusterBus.start(c.nodeNameOrDefault(), dsDb);
      bus = b;
      ds.cluster(b);
      if (as != null) {
        // A revocation takes effect at once, not at the next recheck: here, and on every other node sharing the database.
        as.onRevoked(id -> {
          ds.recheckCredential(id);
          try {
            b.publish(REVOKED, id);
          } catch (java.sql.SQLException e) {
            // the database is away: the other nodes find the revocation at their next recheck (30 s)
          }
        });
        b.on(REVOKED, m -> {
          if (!b.mine(m)) {
            ds.recheckCredential(m.data());
          }
        });
      }
      Database d = dsDb;
      org.jmls.service.ServiceHttp.health(app, "node", b::node);
      org.jmls.service.ServiceHttp.health(app, "database", () -> d.answers(2_000));
      if (b.shared()) {
        org.jmls.service.ServiceHttp.health(app, "notifications", b::listening);
        io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("jmls_cluster_read_backs_total")
            .help("Ranges of other nodes' appends read back from the database, their notifications too small to carry them")
            .callback(cb -> cb.call(ds.groups().clusterReadBacks())).register(registry);
        io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("jmls_cluster_settled_blocks_total")
            .help("Blocks of delivery numbers settled in the database (read back, or given up as void) after their notification did not come within 2 s")
            .callback(cb -> cb.call(ds.groups().clusterSettledBlocks())).register(registry);
      }
      if (federation != null) {
        fed = org.jmls.federation.Federation.install(app, federation, as, ds, dsDb, services);
        fed.cluster(b);
        federationMetrics(registry, fed);
      }
      org.jmls.ds.KeyPackageDirectory kps = new org.jmls.ds.KeyPackageDirectory(dsDb, services);
      // Hourly housekeeping: expired and consumed KeyPackages, queued messages past retention.
      java.util.concurrent.ScheduledExecutorService housekeeping = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "jmls-ds-housekeeping");
        t.setDaemon(true);
        return t;
      });
      housekeeping.scheduleAtFixedRate(() -> {
        try {
          kps.prune();
          ds.groups().pruneQueues(org.jmls.ds.GroupDirectory.DEFAULT_RETENTION_SECONDS);
        } catch (java.sql.SQLException e) {
          // storage briefly unavailable: the next run retries
        }
      }, 1, 60, java.util.concurrent.TimeUnit.MINUTES);
    }
    app.start(c.host(), c.port());
    if (fed != null) {
      fed.announce();
    }
    JmlsServer server = new JmlsServer(app, asDb, dsDb, token);
    server.bus = bus;
    server.ds = dsServer;
    server.federation = fed;
    return server;
  }

  /** Federation traffic per peer on /metrics: entries delivered, failed attempts, backlog, whether the peer answers, outbox reads, whether this node delivers. */
  private static void federationMetrics(PrometheusRegistry registry, org.jmls.federation.Federation fed) {
    io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("jmls_federation_delivered_total")
        .help("Log entries delivered to each federated peer").labelNames("peer")
        .callback(cb -> fed.traffic().forEach(t -> cb.call(t.delivered(), t.peer()))).register(registry);
    io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("jmls_federation_failures_total")
        .help("Failed delivery attempts to each federated peer (each retried with backoff)").labelNames("peer")
        .callback(cb -> fed.traffic().forEach(t -> cb.call(t.failures(), t.peer()))).register(registry);
    io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("jmls_federation_backlog")
        .help("Entries waiting for each federated peer (up to one batch)").labelNames("peer")
        .callback(cb -> fed.traffic().forEach(t -> cb.call(t.backlog(), t.peer()))).register(registry);
    io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("jmls_federation_peer_up")
        .help("1 when the peer took the last delivery, 0 while it is retried").labelNames("peer")
        .callback(cb -> fed.traffic().forEach(t -> cb.call(t.reachable() ? 1 : 0, t.peer()))).register(registry);
    io.prometheus.metrics.core.metrics.CounterWithCallback.builder().name("jmls_federation_outbox_reads_total")
        .help("Reads of each peer's outbox from the database (what a delivery that keeps up is owed is handed over in memory)")
        .labelNames("peer").callback(cb -> fed.traffic().forEach(t -> cb.call(t.outboxReads(), t.peer()))).register(registry);
    io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("jmls_federation_delivering")
        .help("1 on the node that delivers to each federated peer (with several nodes, the one holding that peer's lease)")
        .labelNames("peer").callback(cb -> fed.traffic().forEach(t -> cb.call(t.delivering() ? 1 : 0, t.peer()))).register(registry);
  }

  /** This node's name (see {@link Config#nodeName}), or null for an AS alone. */
  public String node() {
    return bus == null ? null : bus.node();
  }

  /** The federation of this provider, or null when it runs alone. */
  public org.jmls.federation.Federation federation() {
    return federation;
  }

  /** The Delivery Service of this process (for operator settings such as its rate limit), or null for an AS alone. */
  public DsServer ds() {
    return ds;
  }

  public int port() {
    return app.port();
  }

  public String adminToken() {
    return adminToken;
  }

  @Override
  public void close() {
    if (federation != null) {
      federation.close();
    }
    app.stop();
    if (bus != null) {
      bus.close();
    }
    if (asDb != null) {
      asDb.close();
    }
    if (dsDb != null) {
      dsDb.close();
    }
  }
}
