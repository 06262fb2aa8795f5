package org.jmls.cli;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code jmls} command. */
@Command(
    name = "jmls",
    mixinStandardHelpOptions = true,
    version = "jmls 0.1.0-SNAPSHOT",
    description = "Messaging Layer Security (RFC 9420 / RFC 9750) for the JVM.",
    subcommands = {
      DemoCommand.class, SuitesCommand.class, VectorsCommand.class, ServerCommand.class, ServerCommand.AsOnly.class, ServerCommand.DsOnly.class,
      ClusterCommand.class,
      AdminCommands.class, RegisterCommand.class, GroupCommands.class, GroupCommands.Groups.class, GroupCommands.Members.class,
      MessageCommands.Send.class, MessageCommands.Read.class, MessageCommands.Watch.class,
      InteropCommand.class, BenchCommand.class, CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Set by {@code --verbose} on any command (library logs from INFO up; more detail where a command has it). */
  boolean verbose;

  @Option(names = "--verbose", scope = ScopeType.INHERIT,
      description = "Show library messages from INFO up (default: WARN and above), and more detail where the command has it.")
  void verbose(boolean on) {
    verbose = on;
    if (on) {
      Logging.verbose();
    }
  }

  @Option(names = "--log-file", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "Write library messages to FILE instead of the terminal.")
  void logFile(Path file) {
    Logging.toFile(file);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** The command line with this program's settings (used by main and by the tests). */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    // A failure no command handled itself is still one sentence, never a stack trace.
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("error: " + Failures.describe(e, null));
      return 1;
    });
    return cl;
  }

  public static void main(String[] args) {
    Logging.defaults();
    String aliases = org.jmls.crypto.SuiteAliases.settingProblem();
    if (aliases != null) {
      System.err.println("error: " + aliases);
      System.exit(2);
    }
    System.exit(commandLine().execute(args));
  }
}
