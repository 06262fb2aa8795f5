package org.jmls.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.jmls.interop.InteropServer;
import org.jmls.interop.ScenarioRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jmls interop serve|run}: the working group's gRPC interop service and scenario runner. */
@Command(
    name = "interop",
    mixinStandardHelpOptions = true,
    description = "MLS working-group interop: serve the mls_client.MLSClient gRPC service, or run interop scenarios.",
    subcommands = {InteropCommand.Serve.class, InteropCommand.Run.class})
final class InteropCommand implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  @Command(name = "serve", mixinStandardHelpOptions = true, description = "Serve mls_client.MLSClient over gRPC on loopback.")
  static final class Serve implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "50051", description = "Port to listen on (0 picks a free one; default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default ${DEFAULT-VALUE}).")
    String host;

    @Override
    public Integer call() throws Exception {
      try (InteropServer s = InteropServer.start(host, port)) {
        System.out.println("jmls interop server listening on " + host + ":" + s.port());
        s.awaitTermination();
      }
      return 0;
    }
  }

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = {"Run interop scenario scripts against MLSClient servers and print the results.",
          "One line per script, suite and mode, then 'N passed, M failed'. Without --client, an embedded jmls server is used."})
  static final class Run implements Callable<Integer> {
    @Option(names = "--client", description = "host:port of an MLSClient server (repeatable).")
    List<String> clients = new ArrayList<>();

    @Option(names = "--config", required = true, description = "Scenario file, or a folder of them (repeatable).")
    List<Path> configs = new ArrayList<>();

    @Option(names = "--suite", converter = SuiteConverter.Id.class,
        description = "Only this cipher suite, decimal or 0x-hex (repeatable; default: every suite all clients share).")
    List<Integer> suites = new ArrayList<>();

    @Option(names = "--public", description = "Only PublicMessage handshakes.")
    boolean publicOnly;

    @Option(names = "--private", description = "Only PrivateMessage handshakes.")
    boolean privateOnly;

    @Override
    public Integer call() throws Exception {
      List<Path> files = new ArrayList<>();
      for (Path c : configs) {
        if (Files.isDirectory(c)) {
          try (Stream<Path> s = Files.list(c)) {
            s.filter(p -> p.toString().endsWith(".json")).sorted().forEach(files::add);
          }
        } else if (Files.isRegularFile(c)) {
          files.add(c);
        } else {
          System.err.println("error: " + c + " does not exist; pass a scenario file or folder with --config.");
          return 2;
        }
      }
      InteropServer embedded = null;
      List<String> addresses = new ArrayList<>(clients);
      if (addresses.isEmpty()) {
        embedded = InteropServer.start("127.0.0.1", 0);
        addresses.add("127.0.0.1:" + embedded.port());
      }
      List<Boolean> modes = new ArrayList<>();
      if (!privateOnly) {
        modes.add(false);
      }
      if (!publicOnly) {
        modes.add(true);
      }
      List<ScenarioRunner.Outcome> all = new ArrayList<>();
      try (ScenarioRunner runner = new ScenarioRunner(addresses)) {
        Set<Integer> s = suites.isEmpty() ? runner.commonSuites() : new TreeSet<>(suites);
        for (Path f : files) {
          all.addAll(runner.run(f, s, modes, System.out));
        }
      } finally {
        if (embedded != null) {
          embedded.close();
        }
      }
      System.out.println(ScenarioRunner.summary(all));
      return all.stream().allMatch(ScenarioRunner.Outcome::passed) ? 0 : 1;
    }
  }
}
