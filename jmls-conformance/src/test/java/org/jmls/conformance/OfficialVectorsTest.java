package org.jmls.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The working group's vectors through the same code as {@code ./jmls vectors}: one parameterized
 * test per file, one case per entry, each case failing with every mismatch it found. When the
 * vectors cannot be found the tests fail (they are never skipped), naming JMLS_VECTORS.
 */
class OfficialVectorsTest {
  private static final Conformance CONFORMANCE = new Conformance();

  private static Stream<VectorCase> casesOf(String file) throws IOException {
    Path dir = Conformance.locateVectors();
    return CONFORMANCE.cases(dir, file).stream();
  }

  static Stream<VectorCase> treeMath() throws IOException {
    return casesOf("tree-math.json");
  }

  static Stream<VectorCase> deserialization() throws IOException {
    return casesOf("deserialization.json");
  }

  static Stream<VectorCase> cryptoBasics() throws IOException {
    return casesOf("crypto-basics.json");
  }

  static Stream<VectorCase> messages() throws IOException {
    return casesOf("messages.json");
  }

  static Stream<VectorCase> keySchedule() throws IOException {
    return casesOf("key-schedule.json");
  }

  static Stream<VectorCase> pskSecret() throws IOException {
    return casesOf("psk_secret.json");
  }

  static Stream<VectorCase> secretTree() throws IOException {
    return casesOf("secret-tree.json");
  }

  static Stream<VectorCase> transcriptHashes() throws IOException {
    return casesOf("transcript-hashes.json");
  }

  static Stream<VectorCase> treeValidation() throws IOException {
    return casesOf("tree-validation.json");
  }

  static Stream<VectorCase> treeOperations() throws IOException {
    return casesOf("tree-operations.json");
  }

  static Stream<VectorCase> treeKem() throws IOException {
    return casesOf("treekem.json");
  }

  static Stream<VectorCase> messageProtection() throws IOException {
    return casesOf("message-protection.json");
  }

  static Stream<VectorCase> welcome() throws IOException {
    return casesOf("welcome.json");
  }

  static Stream<VectorCase> passiveClientWelcome() throws IOException {
    return casesOf("passive-client-welcome.json");
  }

  static Stream<VectorCase> passiveClientHandlingCommit() throws IOException {
    return casesOf("passive-client-handling-commit.json");
  }

  static Stream<VectorCase> passiveClientRandom() throws IOException {
    return casesOf("passive-client-random.json");
  }

  private static void assertPasses(VectorCase c) {
    List<String> mismatches = c.run();
    assertEquals(List.of(), mismatches, c.file() + " " + c.name());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("treeMath")
  void treeMath(VectorCase c) {
    assertPasses(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("deserialization")
  void deserialization(VectorCase c) {
    assertPasses(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cryptoBasics")
  void cryptoBasics(VectorCase c) {
    assertPasses(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("messages")
  void messages(VectorCase c) {
    assertPasses(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("keySchedule")
  void keySchedule(VectorCase c) {
    assertPasses(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pskSecret")
  void pskSecret(VectorCase c) {
    assertPasses(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("secretTree")
  void secretTree(VectorCase c) {
    assertPasses(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("transcriptHashes")
  void transcriptHashes(VectorCase c) {
    assertPasses(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("treeValidation")
  void treeValidation(VectorCase c) {
    assertPasses(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("treeOperations")
  void treeOperations(VectorCase c) {
    assertPasses(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("treeKem")
  void treeKem(VectorCase c) {
    assertPasses(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("messageProtection")
  void messageProtection(VectorCase c) {
    assertPasses(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("welcome")
  void welcome(VectorCase c) {
    assertPasses(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("passiveClientWelcome")
  void passiveClientWelcome(VectorCase c) {
    assertPasses(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("passiveClientHandlingCommit")
  void passiveClientHandlingCommit(VectorCase c) {
    assertPasses(c);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("passiveClientRandom")
  void passiveClientRandom(VectorCase c) {
    assertPasses(c);
  }

  @Test
  void vectorFiles_haveTheExpectedEntryCounts() throws IOException {
    // Guards against a truncated or substituted vector folder passing vacuously.
    assertEquals(10, treeMath().count());
    assertEquals(14, deserialization().count());
    assertEquals(7, cryptoBasics().count());
    assertEquals(300, messages().count());
    assertEquals(7, keySchedule().count());
    assertEquals(77, pskSecret().count());
    assertEquals(21, secretTree().count());
    assertEquals(7, transcriptHashes().count());
    assertEquals(98, treeValidation().count());
    assertEquals(5, treeOperations().count());
    assertEquals(77, treeKem().count());
    assertEquals(7, messageProtection().count());
    assertEquals(7, welcome().count());
    assertEquals(56, passiveClientWelcome().count());
    assertEquals(91, passiveClientHandlingCommit().count());
    assertEquals(1, passiveClientRandom().count());
  }

  @Test
  void runner_reportsUnknownFilesAsNotSupported(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
    java.nio.file.Files.writeString(dir.resolve("future-vectors.json"), "[]");
    Conformance.FileResult r = CONFORMANCE.runFile(dir.resolve("future-vectors.json"));
    assertFalse(r.supported());
    assertEquals(0, r.passed());
  }

  @Test
  void formatOf_recognisesEveryOfficialFileByItsContent() throws IOException {
    try (Stream<Path> files = java.nio.file.Files.list(Conformance.locateVectors())) {
      for (Path p : files.filter(f -> f.toString().endsWith(".json")).toList()) {
        String name = p.getFileName().toString();
        String expected = name.startsWith("passive-client") ? "passive-client-welcome.json" : name;
        assertEquals(expected, Conformance.formatOf(Json.readArray(p)), name);
      }
    }
  }

  @Test
  void runAll_readsFilesByContent_whateverTheirNames_andRefusesUnknownShapes(@org.junit.jupiter.api.io.TempDir Path dir)
      throws IOException {
    Path official = Conformance.locateVectors();
    java.nio.file.Files.copy(official.resolve("passive-client-random.json"), dir.resolve("interop-passive-random.json"));
    java.nio.file.Files.copy(official.resolve("tree-math.json"), dir.resolve("math.json"));
    java.nio.file.Files.writeString(dir.resolve("notes.json"), "[{\"author\": \"someone\", \"topic\": \"mls\"}]");
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    int failed = CONFORMANCE.runAll(dir, new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8), false);
    List<String> lines = bytes.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList();
    assertEquals(List.of(
        "interop-passive-random.json (as passive-client): 1 passed, 0 failed",
        "math.json (as tree-math): 10 passed, 0 failed",
        "notes.json: not a test-vector format this version knows (entries with [author, topic]), counted as 1 failed",
        "11 passed, 1 failed"), lines);
    assertEquals(1, failed);
  }

  @Test
  void runner_supportsAllSixteenOfficialFiles() throws IOException {
    try (Stream<Path> files = java.nio.file.Files.list(Conformance.locateVectors())) {
      List<String> names = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted().toList();
      assertEquals(16, names.size(), names.toString());
      for (String n : names) {
        assertFalse(CONFORMANCE.runner(n) == null, n + " has no runner");
      }
    }
  }

  @Test
  void runner_countsAFailureWhenAVectorIsWrong() {
    // A vector whose expected bytes were altered must be reported as failed, with the field named.
    VectorCase broken = new VectorCase("x", "broken", m -> m.expect("field", "00", "01"));
    assertEquals(List.of("field: expected 00, got 01"), broken.run());
  }
}
