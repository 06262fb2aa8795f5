package org.jmls.cli;

import java.util.concurrent.Callable;
import org.jmls.client.DsLoad;
import org.jmls.client.GroupLoad;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jmls bench}: load generators (the JMH micro-benchmarks run from jmls-bench's jar, see BENCHMARKS.md). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Load generators against embedded servers.",
    subcommands = {BenchCommand.Ds.class, BenchCommand.Group.class})
final class BenchCommand implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  @Command(name = "ds", mixinStandardHelpOptions = true,
      description = {"Load a Delivery Service: an embedded AS and DS on loopback, real devices in real groups.",
          "Devices post application messages while members fetch them; prints messages/s accepted and delivered and p50/p99 latencies."})
  static final class Ds implements Callable<Integer> {
    @Option(names = "--postgres", description = "Use an embedded PostgreSQL instead of SQLite.")
    boolean postgres;

    @Option(names = "--group-size", defaultValue = "10", description = "Members per group (default ${DEFAULT-VALUE}).")
    int groupSize;

    @Option(names = "--groups", defaultValue = "20", description = "Number of groups (default ${DEFAULT-VALUE}).")
    int groups;

    @Option(names = "--senders", defaultValue = "10", description = "Sending members per group (default ${DEFAULT-VALUE}).")
    int senders;

    @Option(names = "--receivers", defaultValue = "10", description = "Fetching members per group (default ${DEFAULT-VALUE}).")
    int receivers;

    @Option(names = "--seconds", defaultValue = "15", description = "Length of the timed phase (default ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--warmup", description = "Seconds of the same load before the timed phase, left out of the counts, so the"
        + " servers run compiled code as long-running ones do (ws and http; default 10, or 60 with --nodes 2 or more: several"
        + " server JVMs sharing a few cores take over a minute to compile).")
    Integer warmup;

    /**
     * The warm-up when none is given: with several node processes on a few cores each JVM's compiler
     * gets a share of them and was measured busy for over a minute (BENCHMARKS.md, issue 17).
     */
    static int defaultWarmup(Integer nodes) {
      return nodes != null && nodes > 1 ? 60 : 10;
    }

    @Option(names = "--in-flight", defaultValue = "16", description = "Concurrent posting requests (default ${DEFAULT-VALUE}).")
    int inFlight;

    @Option(names = "--payload", defaultValue = "100", description = "Application data bytes per message (default ${DEFAULT-VALUE}).")
    int payload;

    @Option(names = "--transport", defaultValue = "ws",
        description = "ws: WebSocket sessions (posts without per-message signatures, pushed delivery); http: a signed"
            + " request per post and long-polling fetches; sdk: each sender's MlsClient encrypts and sends over its session"
            + " (receivers are other members: groups need senders + receivers) (default ${DEFAULT-VALUE}).")
    String transport;

    @Option(names = "--batch", defaultValue = "1",
        description = "With --transport sdk: texts per sendAll call, pipelined over the session; --in-flight / --batch threads send (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    @Option(names = "--federated", description = "Two federated providers (example.com, the groups' hub, and example.org), each with"
        + " its own AS and DS; members alternate between them, each device on its own provider. Delivery latency is reported for each side.")
    boolean federated;

    @Option(names = "--nodes", description = "N server processes ('jmls server' nodes) on one embedded PostgreSQL; members alternate"
        + " between the nodes, each device on its own. Reports each node's rates and CPU, and delivery on the sender's node and on another.")
    Integer nodes;

    @Option(names = "--separate-databases", description = "With --nodes: each node on a database of its own and each group on one node,"
        + " so nothing is shared or crosses between nodes: the most any coordination could give with N processes on this machine.")
    boolean separateDatabases;

    @Option(names = "--database-delay-us", defaultValue = "0", description = "With --nodes: the nodes reach PostgreSQL through a relay"
        + " that holds every packet this many microseconds each way, as a database on another machine would (default ${DEFAULT-VALUE}).")
    int databaseDelayMicros;

    @Override
    public Integer call() throws Exception {
      if ((separateDatabases || databaseDelayMicros != 0) && nodes == null || nodes != null && (nodes < 1 || nodes > 16 || federated)
          || databaseDelayMicros < 0 || databaseDelayMicros > 100_000) {
        System.err.println("jmls bench ds: --nodes is 1 to 16, without --federated; --separate-databases and --database-delay-us"
            + " (0 to 100000) need --nodes");
        return 2;
      }
      if (batch < 1 || batch > inFlight) {
        System.err.println("jmls bench ds: --batch is between 1 and --in-flight");
        return 2;
      }
      if (!transport.equals("ws") && !transport.equals("http") && !transport.equals("sdk")) {
        System.err.println("jmls bench ds: --transport is ws, http or sdk");
        return 2;
      }
      if (transport.equals("sdk") && groupSize < senders + receivers) {
        System.err.println("jmls bench ds: with --transport sdk the receivers are other members than the senders:"
            + " --group-size must be at least --senders + --receivers");
        return 2;
      }
      int warmup = this.warmup != null ? this.warmup : defaultWarmup(nodes);
      if (groupSize < 2 || groups < 1 || seconds < 1 || warmup < 0 || inFlight < 1 || senders < 1 || receivers < 1) {
        System.err.println("jmls bench ds: sizes and counts must be positive (a group has at least 2 members)");
        return 2;
      }
      DsLoad.Result r = DsLoad.run(new DsLoad.Options(postgres, groupSize, groups, senders, receivers, seconds, inFlight, payload,
          DsLoad.Transport.valueOf(transport.toUpperCase(java.util.Locale.ROOT)), batch, step -> System.err.println("bench: " + step),
          federated, nodes == null ? 0 : nodes, warmup, separateDatabases, databaseDelayMicros));
      if (json) {
        System.out.println(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(r));
      } else {
        System.out.println(r.summary());
      }
      return r.unknown() == 0 && r.duplicates() == 0 && r.delivered() == r.expectedDeliveries() ? 0 : 1;
    }
  }

  @Command(name = "group", mixinStandardHelpOptions = true,
      description = {"One large group through embedded servers: enrol and register the devices (KeyPackages only, but a few real"
          + " clients), one member adds everyone in one commit, real clients and a late device join with the tree the DS keeps,"
          + " commits and messages go round, an offline client catches up from its cursor.",
          "Prints each phase's time and bytes."})
  static final class Group implements Callable<Integer> {
    @Option(names = "--members", defaultValue = "1000", description = "Devices in the group (default ${DEFAULT-VALUE}).")
    int members;

    @Option(names = "--commits", defaultValue = "20", description = "Commit round trips to time (default ${DEFAULT-VALUE}).")
    int commits;

    @Option(names = "--messages", defaultValue = "2000", description = "Messages sent while one real client is offline (default ${DEFAULT-VALUE}).")
    int messages;

    @Option(names = "--postgres", description = "Use an embedded PostgreSQL instead of SQLite.")
    boolean postgres;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      if (members < 4 || commits < 1 || messages < 1) {
        System.err.println("jmls bench group: at least 4 members, and positive counts");
        return 2;
      }
      GroupLoad.Result r = GroupLoad.run(new GroupLoad.Options(postgres, members, commits, messages,
          step -> System.err.println("bench: " + step)));
      System.out.print(json ? new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(r) + "\n" : r.summary());
      return 0;
    }
  }
}
