package org.jmls.conformance;

import com.google.gson.JsonArray;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jmls.crypto.CryptoProvider;
import org.jmls.crypto.DefaultCryptoProvider;

/**
 * Runs the MLS working group's official test vectors (the JSON files of
 * mlswg/mls-implementations/test-vectors) against jmls-core. Used by {@code ./jmls vectors} and by
 * the JUnit suite, so both run the same code.
 */
public final class Conformance {
  /** Environment variable naming the vectors folder. */
  public static final String ENV = "JMLS_VECTORS";

  private final Map<String, VectorFile> files = new LinkedHashMap<>();

  public Conformance(CryptoProvider provider) {
    for (VectorFile f :
        List.of(
            new TreeMathVectors(),
            new DeserializationVectors(),
            new CryptoBasicsVectors(provider),
            new MessagesVectors(),
            new KeyScheduleVectors.Epochs(provider),
            new KeyScheduleVectors.PskSecrets(provider),
            new SecretTreeVectors.Tree(provider),
            new SecretTreeVectors.Transcript(provider),
            new TreeVectors.Validation(provider),
            new TreeVectors.Operations(provider),
            new TreeKemVectors(provider),
            new FramingVectors.Protection(provider),
            new FramingVectors.Welcomes(provider),
            new PassiveClientVectors("passive-client-welcome.json", provider),
            new PassiveClientVectors("passive-client-handling-commit.json", provider),
            new PassiveClientVectors("passive-client-random.json", provider))) {
      files.put(f.fileName(), f);
    }
  }

  public Conformance() {
    this(DefaultCryptoProvider.instance());
  }

  /** The runner for {@code fileName}, or null if this version cannot run that file yet. */
  public VectorFile runner(String fileName) {
    return files.get(fileName);
  }

  /** The cases of one file in {@code dir}. */
  public List<VectorCase> cases(Path dir, String fileName) throws IOException {
    VectorFile f = files.get(fileName);
    if (f == null) {
      throw new IllegalArgumentException(fileName + " is not supported yet");
    }
    return f.cases(Json.readArray(dir.resolve(fileName)));
  }

  /**
   * Finds the vectors: {@code $JMLS_VECTORS} if set, else {@code shared/test-vectors} beside the
   * checkout (searched from the working directory upwards). Fails with a message naming the
   * setting when neither exists.
   */
  public static Path locateVectors() {
    String env = System.getenv(ENV);
    if (env != null && !env.isBlank()) {
      Path p = Paths.get(env);
      if (!Files.isDirectory(p)) {
        throw new IllegalStateException(ENV + "=" + env + " is not a directory");
      }
      return p;
    }
    for (Path d = Paths.get("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path p = d.resolve("shared").resolve("test-vectors");
      if (Files.isDirectory(p)) {
        return p;
      }
      Path beside = d.resolveSibling("shared").resolve("test-vectors");
      if (d.getParent() != null && Files.isDirectory(beside)) {
        return beside;
      }
    }
    throw new IllegalStateException(
        "OFFICIAL TEST VECTORS NOT FOUND: set " + ENV + " to the folder holding the working group's"
            + " test-vectors/*.json, or place the checkout beside ../shared/test-vectors");
  }

  /** Result of one file. */
  public record FileResult(String file, boolean supported, int passed, List<String> failures) {
    public int failed() {
      return failures.size();
    }
  }

  /**
   * Runs every recognised file of {@code dir}, printing {@code FILE: N passed, M failed} (or
   * {@code FILE: not supported yet}) per file and a final total. Returns the number of failures.
   */
  public int runAll(Path dir, PrintStream out, boolean verbose) throws IOException {
    List<Path> jsons = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().forEach(jsons::add);
    }
    int passed = 0;
    int failed = 0;
    for (Path p : jsons) {
      FileResult r;
      try {
        r = runFile(p);
      } catch (IOException | RuntimeException e) {
        out.println(p.getFileName() + ": unreadable (" + e.getMessage() + "), counted as 1 failed");
        failed++;
        continue;
      }
      if (!r.supported()) {
        out.println(r.file() + ": not supported yet");
        continue;
      }
      out.println(r.file() + ": " + r.passed() + " passed, " + r.failed() + " failed");
      if (verbose) {
        for (String f : r.failures()) {
          out.println("  " + f);
        }
      }
      passed += r.passed();
      failed += r.failed();
    }
    out.println(passed + " passed, " + failed + " failed");
    return failed;
  }

  /** Runs one file; a file this version cannot run is reported unsupported. */
  public FileResult runFile(Path file) throws IOException {
    String name = file.getFileName().toString();
    VectorFile f = files.get(name);
    if (f == null) {
      return new FileResult(name, false, 0, List.of());
    }
    JsonArray entries = Json.readArray(file);
    int passed = 0;
    List<String> failures = new ArrayList<>();
    for (VectorCase c : f.cases(entries)) {
      List<String> mismatches = c.run();
      if (mismatches.isEmpty()) {
        passed++;
      } else {
        failures.add(c.name() + ": " + String.join("; ", mismatches));
      }
    }
    return new FileResult(name, true, passed, failures);
  }
}
