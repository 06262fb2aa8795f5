package org.jmls.client;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
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

  /** Several nodes ({@code jmls server} processes) on one embedded PostgreSQL, as an operator runs them behind a load balancer. */
  static final class Nodes implements AutoCloseable {
    private final io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres;
    private final List<Process> processes;
    private final String[] bases;
    private final DelayedLink link;

    private Nodes(io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres, List<Process> processes, String[] bases, DelayedLink link) {
      this.postgres = postgres;
      this.processes = processes;
      this.bases = bases;
      this.link = link;
    }

    String[] bases() {
      return bases;
    }

    /** CPU seconds each node's process has used so far. */
    double[] cpuSeconds() {
      double[] out = new double[processes.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = processes.get(i).toHandle().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
      }
      return out;
    }

    /** CPU seconds this process (the load generator) has used so far. */
    static double ownCpuSeconds() {
      return ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(Double.NaN);
    }

    @Override
    public void close() throws Exception {
      for (Process p : processes) {
        p.destroy();
      }
      for (Process p : processes) {
        p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        p.destroyForcibly();
      }
      if (link != null) {
        link.close();
      }
      postgres.close();
    }
  }

  /**
   * {@code n} node processes on one fresh embedded PostgreSQL, without per-device rate limits;
   * {@code separate}: each node on a database of its own (n independent servers sharing the machine
   * and the PostgreSQL server, nothing shared between them). {@code delayMicros} above 0: the nodes
   * reach PostgreSQL through a {@link DelayedLink} (a database on another machine).
   */
  static Nodes startNodes(int n, boolean separate, int delayMicros) throws Exception {
    io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start();
    DelayedLink link = delayMicros > 0 ? new DelayedLink("127.0.0.1", pg.getPort(), delayMicros) : null;
    List<Process> started = new ArrayList<>();
    String[] bases = new String[n];
    try {
      for (int i = 0; i < n; i++) {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
          port = s.getLocalPort();
        }
        List<String> opts = new ArrayList<>(List.of("-Djmls.node=node" + (i + 1), "-Djmls.rate-limit=1000000"));
        String jfr = System.getenv("JMLS_NODE_JFR"); // a JDK Flight Recorder profile of node 1, for whoever looks into its costs
        if (i == 0 && jfr != null) {
          opts.add("-XX:StartFlightRecording=filename=" + jfr + ",settings=profile");
        }
        started.add(org.jmls.server.ServerProcess.start(opts,
            Files.createTempDirectory("jmls-node"), port, "adm", url(pg, link, separate ? database(pg, "node" + (i + 1)) : "postgres")));
        bases[i] = "http://127.0.0.1:" + port;
      }
    } catch (Exception e) {
      started.forEach(Process::destroyForcibly);
      if (link != null) {
        link.close();
      }
      pg.close();
      throw e;
    }
    return new Nodes(pg, started, bases, link);
  }

  private static String url(io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg, DelayedLink link, String database) {
    String url = pg.getJdbcUrl("postgres", database);
    return link == null ? url : url.replace(":" + pg.getPort() + "/", ":" + link.port() + "/");
  }

  private static String database(io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg, String name) throws java.sql.SQLException {
    try (java.sql.Connection c = pg.getPostgresDatabase().getConnection(); java.sql.Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    }
    return name;
  }

  @Override
  public void close() throws Exception {
    server.close();
    if (postgres != null) {
      postgres.close();
    }
  }
}
