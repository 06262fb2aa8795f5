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

  @picocli.CommandLine.Mixin
  PostgresOptions postgres = new PostgresOptions(); // without --postgres: SQLite in --data

  @Option(names = "--node-name", description = "This node's name when several servers share one PostgreSQL (default: the host's name); "
      + "shown by /health and in the logs.")
  String nodeName;

  @Option(names = "--admin-token", description = "Operator token (default: generated into DATA/admin-token).")
  String adminToken;

  @Option(names = "--dev", description = "Development mode: enrolment without invite codes, basic credentials accepted. Never in production.")
  boolean dev;

  @Option(names = "--as-url", description = "For 'jmls ds' alone: base URL of the AS whose credentials the DS accepts.")
  String asUrl;

  @Option(names = "--credential-days", defaultValue = "90", description = "Lifetime of issued credentials in days (default ${DEFAULT-VALUE}).")
  int credentialDays;

  @Option(names = "--domain", description = "Federation: this provider's domain (its AS then certifies users of this domain only).")
  String domain;

  @Option(names = "--federation", description = "Federation: a JSON file naming this provider's domain and its peers (see README).")
  Path federationFile;

  @Option(names = "--peer", description = "Federation: a peer, DOMAIN=URL (repeatable).")
  java.util.List<String> peers = new java.util.ArrayList<>();

  @Option(names = "--peer-root", description = "Federation: a peer's AS root certificate, DOMAIN=FILE (PEM or DER; repeatable). "
      + "The file may appear after this server started: federation with that peer waits for it.")
  java.util.List<String> peerRoots = new java.util.ArrayList<>();

  /** The federation settings from --federation and the --domain/--peer/--peer-root flags, or null. */
  org.jmls.federation.FederationConfig federation() throws java.io.IOException {
    if (federationFile == null && domain == null && peers.isEmpty()) {
      return null;
    }
    org.jmls.federation.FederationConfig base = federationFile != null ? org.jmls.federation.FederationConfig.read(federationFile) : null;
    String d = domain != null ? domain : base != null ? base.domain() : null;
    if (d == null) {
      throw new IllegalArgumentException("federation needs this provider's domain (--domain)");
    }
    java.util.Map<String, org.jmls.federation.FederationConfig.Peer> all = new java.util.LinkedHashMap<>(
        base == null ? java.util.Map.of() : base.peers());
    java.util.Map<String, String> roots = new java.util.LinkedHashMap<>();
    for (String r : peerRoots) {
      String[] kv = r.split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("--peer-root is DOMAIN=FILE: " + r);
      }
      roots.put(kv[0], kv[1]);
    }
    for (String p : peers) {
      String[] kv = p.split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("--peer is DOMAIN=URL: " + p);
      }
      String root = roots.get(kv[0]);
      if (root == null) {
        throw new IllegalArgumentException("peer " + kv[0] + " needs its AS root: --peer-root " + kv[0] + "=FILE");
      }
      all.put(kv[0], org.jmls.federation.FederationConfig.peerWithRootFile(kv[0], java.net.URI.create(kv[1].replaceAll("/+$", "")),
          Path.of(root).toAbsolutePath()));
    }
    return new org.jmls.federation.FederationConfig(d, all, base != null ? base.statusTtl() : java.time.Duration.ofSeconds(60));
  }

  /** The time of day for operator log lines, always with seconds (LocalTime's own text drops ":00"). */
  static String now() {
    return java.time.LocalTime.now().format(java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss"));
  }

  JmlsServer.Role role() {
    return JmlsServer.Role.BOTH;
  }

  @Override
  public Integer call() throws Exception {
    org.jmls.federation.FederationConfig federation = federation();
    JmlsServer s = JmlsServer.start(new JmlsServer.Config(role(), data, host, port, postgres.url, postgres.user, postgres.password,
        adminToken, dev, credentialDays * 86400L, asUrl).node(nodeName), federation);
    if (s.federation() != null) {
      s.federation().log(line -> System.out.println(ServerCommand.now() + " " + line));
    }
    String base = "http://" + host + ":" + s.port();
    String what = role() == JmlsServer.Role.BOTH ? "AS and DS" : role().name();
    System.out.println("jmls " + what + " listening on " + base
        + " (storage: " + (postgres.url == null ? "SQLite in " + data.toAbsolutePath() : "PostgreSQL, node " + s.node()) + ")");
    System.out.println("  health " + base + "/health, API " + base + "/openapi.json, metrics " + base + "/metrics");
    if (adminToken == null) {
      System.out.println("  operator token in " + data.resolve("admin-token").toAbsolutePath());
    }
    if (federation != null) {
      System.out.println("  provider " + federation.domain() + ", AS root in " + data.resolve("as-root.pem").toAbsolutePath()
          + (federation.peers().isEmpty() ? "; no peers" : "; peers " + String.join(", ", federation.peers().keySet())));
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
