package org.jmls.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** `jmls demo` runs to the end against embedded servers and every member agrees. */
class DemoCommandTest {
  @ParameterizedTest
  @ValueSource(strings = {"1", "2"})
  void demo_runsToTheEnd_allMembersAgree(String suite) {
    String text = run(0, "demo", "--suite", suite);
    assertTrue(text.contains("Demo complete: all members agree."), text);
    assertTrue(text.contains("rejoins by external commit"), text);
    assertTrue(text.contains("\"I'm back\""), text);
  }

  /**
   * The demo through the real AS and DS in every post-quantum suite of draft-ietf-mls-pq-ciphersuites
   * (0xF001-0xF00B): X.509 credentials for Ed25519, ECDSA and ML-DSA keys, KeyPackages, Welcome,
   * update, removal, external rejoin; every member agrees at the end.
   */
  @ParameterizedTest
  @ValueSource(strings = {"0xF001", "0xF002", "0xF003", "0xF004", "0xF005", "0xF006", "0xF007", "0xF008", "0xF009", "0xF00A",
      "0xF00B"})
  void demo_postQuantumSuites_allMembersAgree(String suite) {
    String text = run(0, "demo", "--suite", suite);
    assertTrue(text.contains("Cipher suite " + suite + " MLS_"), text);
    assertTrue(text.contains("post-quantum KEM"), text);
    assertTrue(text.contains("Demo complete: all members agree."), text);
  }

  /** A value of another stack's table is refused unless its alias is enabled, with a reason that says how. */
  @org.junit.jupiter.api.Test
  void demo_aliasedValueWithoutAlias_refusedWithTheWayToEnableIt() {
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      run(2, "demo", "--suite", "0x004D");
    } finally {
      System.setErr(old);
    }
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("JMLS_SUITE_ALIASES=openmls"), err.toString(StandardCharsets.UTF_8));
  }

  /** The federated demo: two providers, example.org a process killed and restarted; every member agrees and Bob's devices got what was said while it was down. */
  @org.junit.jupiter.api.Test
  void federatedDemo_followerKilledAndRestarted_allMembersAgree() {
    String text = run(0, "demo", "--federated");
    assertTrue(text.contains("Demo complete: all members, on two providers, agree."), text);
    assertTrue(text.contains("bob@example.org/laptop   <- charlie@example.com/phone  \"His provider seems down\""), text);
    assertTrue(text.contains("example.org unreachable"), text);
    assertTrue(text.contains("example.org reachable again"), text);
  }

  /** Runs the command, returns what it printed, after checking its exit code. */
  private static String run(int expectedCode, String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      code = new CommandLine(new Main()).execute(args);
    } finally {
      System.setOut(old);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(expectedCode, code, text);
    return text;
  }
}
