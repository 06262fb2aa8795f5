package org.jmls.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jmls.conformance.Conformance;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;

/** {@code jmls vectors DIR}: runs the official MLS test vectors. */
@Command(
    name = "vectors",
    mixinStandardHelpOptions = true,
    description = {
      "Runs every official MLS test-vector file in DIR and prints the results.",
      "Each file is read as the format its content has: one line per file ('FILE (as FORMAT): N passed, M failed'), then the total;",
      "exit status 1 if any entry failed or a file's format is unknown.",
      "With --verbose, each failing entry (suite, index) and what differed."
    })
final class VectorsCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "DIR",
      description = "Folder of vector JSON files (default: $JMLS_VECTORS or ../shared/test-vectors).")
  Path dir;

  @ParentCommand Main main;

  @Override
  public Integer call() throws Exception {
    Path d;
    try {
      d = dir != null ? dir : Conformance.locateVectors();
    } catch (IllegalStateException e) {
      System.err.println("error: " + e.getMessage());
      return 2;
    }
    if (!Files.isDirectory(d)) {
      System.err.println("error: " + d + " is not a folder; pass the folder holding the *.json vector files.");
      return 2;
    }
    int failed = new Conformance().runAll(d, System.out, main != null && main.verbose);
    return failed == 0 ? 0 : 1;
  }
}
