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
import java.util.Set;
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

  /**
   * What each format's entries hold (the keys every entry of that file has). A file is recognised by
   * the keys of its first entry, whatever its name: the format whose keys it has, the most specific
   * when several fit. The three passive-client files share one format.
   */
  private static final Map<String, Set<String>> SHAPES = new LinkedHashMap<>();

  static {
    SHAPES.put("tree-math.json", Set.of("n_leaves", "n_nodes", "root", "left", "right", "parent", "sibling"));
    SHAPES.put("deserialization.json", Set.of("vlbytes_header", "length"));
    SHAPES.put("crypto-basics.json", Set.of("cipher_suite", "ref_hash", "expand_with_label", "derive_secret", "derive_tree_secret",
        "sign_with_label", "encrypt_with_label"));
    SHAPES.put("messages.json", Set.of("mls_welcome", "mls_group_info", "mls_key_package", "ratchet_tree", "group_secrets",
        "add_proposal", "commit", "public_message_application", "private_message"));
    SHAPES.put("key-schedule.json", Set.of("cipher_suite", "group_id", "initial_init_secret", "epochs"));
    SHAPES.put("psk_secret.json", Set.of("cipher_suite", "psks", "psk_secret"));
    SHAPES.put("secret-tree.json", Set.of("cipher_suite", "sender_data", "encryption_secret", "leaves"));
    SHAPES.put("transcript-hashes.json", Set.of("cipher_suite", "confirmation_key", "authenticated_content",
        "interim_transcript_hash_before", "confirmed_transcript_hash_after", "interim_transcript_hash_after"));
    SHAPES.put("tree-validation.json", Set.of("cipher_suite", "tree", "group_id", "resolutions", "tree_hashes"));
    SHAPES.put("tree-operations.json", Set.of("cipher_suite", "tree_before", "proposal", "proposal_sender", "tree_after",
        "tree_hash_before", "tree_hash_after"));
    SHAPES.put("treekem.json", Set.of("cipher_suite", "group_id", "epoch", "confirmed_transcript_hash", "ratchet_tree",
        "leaves_private", "update_paths"));
    SHAPES.put("message-protection.json", Set.of("cipher_suite", "group_id", "epoch", "encryption_secret", "membership_key",
        "proposal", "proposal_pub", "proposal_priv", "commit", "commit_pub", "commit_priv", "application", "application_priv"));
    SHAPES.put("welcome.json", Set.of("cipher_suite", "init_priv", "signer_pub", "key_package", "welcome"));
    SHAPES.put("passive-client-welcome.json", Set.of("cipher_suite", "key_package", "signature_priv", "encryption_priv", "init_priv",
        "welcome", "ratchet_tree", "initial_epoch_authenticator", "epochs", "external_psks"));
  }

  private final CryptoProvider provider;

  public Conformance(CryptoProvider provider) {
    this.provider = provider;
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

  /**
   * The format of a vector file's entries, as the official file name that has it (for example
   * {@code passive-client-welcome.json} for every passive-client file), or null when no format
   * this version knows fits.
   */
  public static String formatOf(JsonArray entries) {
    if (entries.size() == 0 || !entries.get(0).isJsonObject()) {
      return null;
    }
    Set<String> keys = entries.get(0).getAsJsonObject().keySet();
    String best = null;
    for (Map.Entry<String, Set<String>> e : SHAPES.entrySet()) {
      if (keys.containsAll(e.getValue()) && (best == null || e.getValue().size() > SHAPES.get(best).size())) {
        best = e.getKey();
      }
    }
    return best;
  }

  /** How a format is named in reports: its official file name without {@code .json}; one name for the passive-client files. */
  public static String label(String format) {
    return format.startsWith("passive-client") ? "passive-client" : format.replace(".json", "");
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

  /** Result of one file: the format it was read as (null when none fits), and its failures. */
  public record FileResult(String file, String format, boolean supported, int passed, List<String> failures) {
    public int failed() {
      return supported ? failures.size() : 1;
    }
  }

  /**
   * Runs every {@code *.json} file of {@code dir}, each read as the format its content has
   * ({@link #formatOf}), printing {@code FILE (as FORMAT): N passed, M failed} per file and a final
   * total. A file of no known format is said so and counted as one failure (a vector file that
   * cannot be run is never passed over in silence). Returns the number of failures.
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
        out.println(r.file() + ": not a test-vector format this version knows (" + r.failures().get(0) + "), counted as 1 failed");
        failed++;
        continue;
      }
      out.println(r.file() + " (as " + label(r.format()) + "): " + r.passed() + " passed, " + r.failed() + " failed");
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

  /**
   * Runs one file, read as the format its content has; a file of no known format comes back
   * unsupported, its one failure saying what its entries hold.
   */
  public FileResult runFile(Path file) throws IOException {
    String name = file.getFileName().toString();
    JsonArray entries;
    try {
      entries = Json.readArray(file);
    } catch (RuntimeException e) {
      return new FileResult(name, null, false, 0, List.of("not a JSON array of entries"));
    }
    String format = formatOf(entries);
    if (format == null) {
      String keys = entries.size() == 0 ? "no entries" : !entries.get(0).isJsonObject() ? "entries that are not objects"
          : "entries with " + new java.util.TreeSet<>(entries.get(0).getAsJsonObject().keySet());
      return new FileResult(name, null, false, 0, List.of(keys));
    }
    VectorFile f = format.startsWith("passive-client") ? new PassiveClientVectors(name, provider) : files.get(format);
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
    return new FileResult(name, format, true, passed, failures);
  }
}
