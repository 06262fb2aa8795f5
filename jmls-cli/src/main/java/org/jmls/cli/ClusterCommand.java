package org.jmls.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jmls cluster}: several {@code jmls server} nodes on one PostgreSQL on this machine, for
 * trying what an operator runs behind a load balancer. Each node is its own process; a node that
 * exits (kill one to see its clients move) is started again.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
    description = {"Run several server nodes (AS and DS) on one PostgreSQL on this machine, for local trials: an embedded PostgreSQL"
        + " in DATA/postgres unless --postgres names one, nodes on consecutive ports from --port.",
        "Kill a node to see its devices move to the others; it is started again a moment later."})
final class ClusterCommand implements Callable<Integer> {
  @Option(names = "--nodes", defaultValue = "3", description = "Number of nodes (default ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--port", defaultValue = "8420", description = "Port of the first node; the others follow (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--data", defaultValue = "jmls-cluster", description = "Folder for the embedded PostgreSQL and the operator token"
      + " (default ${DEFAULT-VALUE}).")
  Path data;

  @picocli.CommandLine.Mixin
  PostgresOptions postgres = new PostgresOptions(); // without --postgres: an embedded one in DATA/postgres

  /** One node: its name, port, folder, and process (replaced when it is started again). */
  private static final class Node {
    final String name;
    final int port;
    final Path dir;
    volatile Process process;

    Node(String name, int port, Path dir) {
      this.name = name;
      this.port = port;
      this.dir = dir;
    }
  }

  @Override
  public Integer call() throws Exception {
    if (nodes < 1 || nodes > 16) {
      System.err.println("jmls cluster: --nodes is 1 to 16");
      return 2;
    }
    String token = org.jmls.server.JmlsServer.adminTokenIn(data);
    Path tokenFile = data.resolve("admin-token");
    io.zonky.test.db.postgres.embedded.EmbeddedPostgres embedded = null;
    String url = postgres.url;
    if (url == null) {
      embedded = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().setDataDirectory(data.resolve("postgres"))
          .setCleanDataDirectory(false).start();
      url = embedded.getJdbcUrl(postgres.user, "postgres");
    }
    List<Node> running = new ArrayList<>();
    String jdbc = url;
    java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
    try {
      for (int i = 0; i < nodes; i++) {
        Node n = new Node("node" + (i + 1), port + i, data.resolve("node" + (i + 1)));
        n.process = start(n, token, jdbc, postgres.user, postgres.password);
        running.add(n);
      }
      List<String> urls = running.stream().map(n -> "http://127.0.0.1:" + n.port).toList();
      System.out.println("jmls cluster: " + nodes + " nodes on one PostgreSQL (" + (embedded == null ? url : "embedded, in "
          + data.resolve("postgres").toAbsolutePath()) + ")");
      for (Node n : running) {
        System.out.println("  " + n.name + "  http://127.0.0.1:" + n.port + "  (process " + n.process.pid() + "; health "
            + "http://127.0.0.1:" + n.port + "/health)");
      }
      System.out.println("  devices use them all: --url " + String.join(",", urls));
      System.out.println("  operator token in " + tokenFile.toAbsolutePath());
      System.out.println("  kill a node's process to see its devices move on; it is started again. Ctrl-C stops the cluster.");
      io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg = embedded;
      java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        stopping.set(true);
        stop(running);
        if (pg != null) {
          try {
            pg.close();
          } catch (java.io.IOException ignored) {
            // exiting anyway
          }
        }
        stopped.countDown();
      }));
      // A node that exits is started again (a node rejoins without any step of its own).
      while (!stopping.get()) {
        for (Node n : running) {
          Process p = n.process;
          if (!p.isAlive() && !stopping.get()) {
            System.out.println(ServerCommand.now() + " " + n.name + " exited (" + p.exitValue() + "); starting it again");
            try {
              n.process = start(n, token, jdbc, postgres.user, postgres.password);
              System.out.println(ServerCommand.now() + " " + n.name + " is back (process " + n.process.pid() + ")");
            } catch (java.io.IOException e) {
              System.out.println(n.name + " did not start: " + e.getMessage());
            }
          }
        }
        java.util.concurrent.CompletableFuture<?>[] exits = running.stream().map(n -> n.process.onExit())
            .toArray(java.util.concurrent.CompletableFuture[]::new);
        try {
          java.util.concurrent.CompletableFuture.anyOf(exits).get();
        } catch (java.util.concurrent.ExecutionException ignored) {
          // look again
        }
      }
      stopped.await();
      return 0;
    } catch (Exception e) {
      stop(running);
      if (embedded != null) {
        embedded.close();
      }
      throw e;
    }
  }

  private static Process start(Node n, String token, String jdbc, String user, String password) throws java.io.IOException {
    return org.jmls.server.ServerProcess.start(List.of("-Djmls.node=" + n.name), n.dir, n.port, token, jdbc, user, password);
  }

  private static void stop(List<Node> running) {
    for (Node n : running) {
      n.process.destroy();
    }
    for (Node n : running) {
      try {
        n.process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      n.process.destroyForcibly();
    }
  }
}
