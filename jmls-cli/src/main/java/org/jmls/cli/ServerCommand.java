package org.jmls.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jmls.server.JmlsServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jmls server}, {@code jmls as}, {@code jmls ds}: run the services. */
@Command(name = "server", mixinStandardHelpOptions = true,
    description = "Run the Authentication Service and the Delivery Service in one process (AS under /as/, DS under /ds/).")
class ServerCommand implements Callable<Integer> {
  @Option(names = "--data", defaultValue = "jmls-data", description = "Data folder for SQLite files and the admin token (default ${DEFAULT-VALUE}).")
  Path data;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "8420", description = "Port (0 picks a free one; default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--postgres", description = "JDBC URL of a PostgreSQL database to use instead of SQLite.")
  String postgres;

  @Option(names = "--postgres-user", defaultValue = "postgres", description = "PostgreSQL user (default ${DEFAULT-VALUE}).")
  String postgresUser;

  @Option(names = "--postgres-password", defaultValue = "", description = "PostgreSQL password.")
  String postgresPassword;

  @Option(names = "--admin-token", description = "Operator token (default: generated into DATA/admin-token).")
  String adminToken;

  @Option(names = "--dev", description = "Development mode: enrolment without invite codes, basic credentials accepted. Never in production.")
  boolean dev;

  @Option(names = "--as-url", description = "For 'jmls ds' alone: base URL of the AS whose credentials the DS accepts.")
  String asUrl;

  @Option(names = "--credential-days", defaultValue = "90", description = "Lifetime of issued credentials in days (default ${DEFAULT-VALUE}).")
  int credentialDays;

  JmlsServer.Role role() {
    return JmlsServer.Role.BOTH;
  }

  @Override
  public Integer call() throws Exception {
    JmlsServer s = JmlsServer.start(new JmlsServer.Config(role(), data, host, port, postgres, postgresUser, postgresPassword,
        adminToken, dev, credentialDays * 86400L, asUrl));
    String base = "http://" + host + ":" + s.port();
    String what = role() == JmlsServer.Role.BOTH ? "AS and DS" : role().name();
    System.out.println("jmls " + what + " listening on " + base
        + " (storage: " + (postgres == null ? "SQLite in " + data.toAbsolutePath() : "PostgreSQL") + ")");
    System.out.println("  health " + base + "/health, API " + base + "/openapi.json, metrics " + base + "/metrics");
    if (adminToken == null) {
      System.out.println("  operator token in " + data.resolve("admin-token").toAbsolutePath());
    }
    if (dev) {
      System.out.println("  DEVELOPMENT MODE: unauthenticated enrolment and basic credentials are accepted");
    }
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      s.close();
      stop.countDown();
    }));
    stop.await();
    return 0;
  }

  @Command(name = "as", mixinStandardHelpOptions = true, description = "Run the Authentication Service alone.")
  static final class AsOnly extends ServerCommand {
    @Override
    JmlsServer.Role role() {
      return JmlsServer.Role.AS;
    }
  }

  @Command(name = "ds", mixinStandardHelpOptions = true,
      description = "Run the Delivery Service alone; it checks credentials with the AS at --as-url (or accepts any with --dev).")
  static final class DsOnly extends ServerCommand {
    @Override
    JmlsServer.Role role() {
      return JmlsServer.Role.DS;
    }
  }
}
