package org.jmls.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What `jmls --help` and every command's help list: summaries that are whole sentences. */
class HelpTest {
  private static void collect(CommandLine cl, String path, List<String> problems) {
    String[] description = cl.getCommandSpec().usageMessage().description();
    if (description.length == 0 || !description[0].endsWith(".")) {
      problems.add(path + ": '" + (description.length == 0 ? "" : description[0]) + "'");
    }
    for (CommandLine sub : cl.getSubcommands().values()) {
      if (!sub.getCommandName().equals("help")) {
        collect(sub, path + " " + sub.getCommandName(), problems);
      }
    }
  }

  @Test
  void everyCommandSummary_isAWholeSentence() {
    List<String> problems = new ArrayList<>();
    collect(Main.commandLine(), "jmls", problems);
    assertTrue(problems.isEmpty(), "summaries cut mid-sentence (the first description line is what --help lists): " + problems);
  }
}
