package org.jmls.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jmls} command. */
@Command(
    name = "jmls",
    mixinStandardHelpOptions = true,
    version = "jmls 0.1.0-SNAPSHOT",
    description = "Messaging Layer Security (RFC 9420 / RFC 9750) for the JVM.",
    subcommands = {
      DemoCommand.class, VectorsCommand.class, ServerCommand.class, ServerCommand.AsOnly.class, ServerCommand.DsOnly.class,
      ClientCommands.Register.class, ClientCommands.GroupCmd.class, ClientCommands.Members.class, ClientCommands.Send.class,
      ClientCommands.Read.class, ClientCommands.Watch.class,
      InteropCommand.class, BenchCommand.class, CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }
}
