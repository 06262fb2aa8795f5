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
