package org.jmls.client;

import java.nio.file.Files;
import org.jmls.server.JmlsServer;

/** The embedded servers a load generator runs against: AS and DS in one process on loopback, SQLite or an embedded PostgreSQL. */
final class LoadServer implements AutoCloseable {
  final JmlsServer server;
  private final AutoCloseable postgres;

  private LoadServer(JmlsServer server, AutoCloseable postgres) {
    this.server = server;
    this.postgres = postgres;
  }

  /** Starts the servers with development enrolment (admin token "adm") and no per-device rate limit. */
  static LoadServer start(boolean postgres, String name) throws Exception {
    return start(postgres, Files.createTempDirectory(name), 0, null);
  }

  /** A server on {@code port} (0: any), its own embedded PostgreSQL when asked, federated when {@code federation} is given. */
  private static LoadServer start(boolean postgres, java.nio.file.Path data, int port, org.jmls.federation.FederationConfig federation)
      throws Exception {
    AutoCloseable pg = null;
    String pgUrl = null;
    if (postgres) {
      io.zonky.test.db.postgres.embedded.EmbeddedPostgres e = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start();
      pg = e;
      pgUrl = e.getJdbcUrl("postgres", "postgres");
    }
    JmlsServer server = JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.BOTH, data, "127.0.0.1", port,
        pgUrl, postgres ? "postgres" : null, postgres ? "postgres" : null, "adm", false, 86400), federation);
    server.ds().rateLimit(1_000_000);
    return new LoadServer(server, pg);
  }

  String base() {
    return "http://127.0.0.1:" + server.port();
  }

  /** User domains: the hub's provider, the other provider (federated runs), a provider alone. */
  static final String[] DOMAINS = {"example.com", "example.org", "load.test"};

  /** Two federated providers on loopback, each with its own AS, DS and storage: the groups' hub and the other one. */
  static final class Federated implements AutoCloseable {
    final LoadServer hub;
    final LoadServer follower;

    Federated(LoadServer hub, LoadServer follower) {
      this.hub = hub;
      this.follower = follower;
    }

    @Override
    public void close() throws Exception {
      follower.close();
      hub.close();
    }
  }

  static Federated startFederated(boolean postgres) throws Exception {
    java.nio.file.Path[] data = {Files.createTempDirectory("jmls-fed-load-com"), Files.createTempDirectory("jmls-fed-load-org")};
    int[] ports = new int[2];
    for (int i = 0; i < 2; i++) {
      try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
        ports[i] = s.getLocalPort();
      }
    }
    LoadServer[] started = new LoadServer[2];
    for (int i = 0; i < 2; i++) {
      int other = 1 - i;
      org.jmls.federation.FederationConfig config = new org.jmls.federation.FederationConfig(DOMAINS[i], java.util.Map.of(DOMAINS[other],
          org.jmls.federation.FederationConfig.peerWithRootFile(DOMAINS[other], java.net.URI.create("http://127.0.0.1:" + ports[other]),
              data[other].resolve("as-root.pem"))), java.time.Duration.ofSeconds(60));
      started[i] = start(postgres, data[i], ports[i], config);
    }
    return new Federated(started[0], started[1]);
  }

  @Override
  public void close() throws Exception {
    server.close();
    if (postgres != null) {
      postgres.close();
    }
  }
}
