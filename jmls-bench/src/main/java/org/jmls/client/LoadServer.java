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
    AutoCloseable pg = null;
    String pgUrl = null;
    if (postgres) {
      io.zonky.test.db.postgres.embedded.EmbeddedPostgres e = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start();
      pg = e;
      pgUrl = e.getJdbcUrl("postgres", "postgres");
    }
    JmlsServer server = JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.BOTH, Files.createTempDirectory(name), "127.0.0.1", 0,
        pgUrl, postgres ? "postgres" : null, postgres ? "postgres" : null, "adm", false, 86400));
    server.ds().rateLimit(1_000_000);
    return new LoadServer(server, pg);
  }

  String base() {
    return "http://127.0.0.1:" + server.port();
  }

  @Override
  public void close() throws Exception {
    server.close();
    if (postgres != null) {
      postgres.close();
    }
  }
}
