package org.jmls.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code jmls} command as a separate process, started through {@link Main#main} as the launcher
 * does: what it prints is its own, with no library logging before (or after) its first line at the
 * default level, and library messages appear with {@code --verbose}.
 */
class QuietOutputTest {
  @TempDir Path dir;

  /** Library output that must not reach a person at the default level. */
  private static final Pattern LIBRARY = Pattern.compile("WARNING:|SLF4J|Flyway|flywaydb|Javalin|jetty|INFO|\\[main\\]|\\[Thread|#####");

  private static ProcessBuilder jmls(String... args) {
    // As the ./jmls launcher starts it (native access for SQLite's driver, so JDK 22+ prints no warning).
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true);
  }

  /** Runs to the end; returns its merged stdout and stderr lines. */
  private static List<String> run(String... args) throws Exception {
    Process p = jmls(args).start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        lines.add(line);
      }
    }
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    return lines;
  }

  private static void assertQuiet(List<String> lines) {
    for (String line : lines) {
      assertTrue(!LIBRARY.matcher(line).find(), "library output reached the user: '" + line + "' in " + lines);
    }
  }

  @Test
  void demo_printsOnlyItsStory() throws Exception {
    List<String> lines = run("demo");
    assertTrue(lines.get(0).startsWith("Started an Authentication Service and a Delivery Service on http://127.0.0.1:"), lines.get(0));
    assertEquals("Demo complete: all members agree.", lines.get(lines.size() - 1));
    assertQuiet(lines);
  }

  @Test
  void serverAndClientCommands_printOnlyTheirOwnLines() throws Exception {
    Process server = jmls("server", "--port", "0", "--data", dir.resolve("data").toString()).start();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
      String first = r.readLine();
      assertTrue(first != null && first.startsWith("jmls AS and DS listening on http://127.0.0.1:"), first);
      Matcher m = Pattern.compile("listening on (http://127\\.0\\.0\\.1:\\d+)").matcher(first);
      assertTrue(m.find());
      String url = m.group(1);
      List<String> banner = new ArrayList<>(List.of(first));
      for (int i = 0; i < 2; i++) {
        banner.add(r.readLine()); // health/API line, operator-token line
      }
      assertQuiet(banner);

      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      Path keyFile = Files.write(dir.resolve("key"), key);
      String[] device = {"--url", url, "--store", dir.resolve("alice.db").toString(), "--key-file", keyFile.toString()};
      List<String> invite = run("admin", "invite", "alice@example.com", "--url", url, "--data", dir.resolve("data").toString());
      assertQuiet(invite);
      Matcher code = Pattern.compile("--invite ([0-9a-f]{32})").matcher(String.join("\n", invite));
      assertTrue(code.find(), invite.toString());
      List<List<String>> outputs = List.of(
          run(concat(device, "register", "--user", "alice@example.com", "--device", "phone", "--invite", code.group(1))),
          run(concat(device, "group", "create", "friends")),
          run(concat(device, "send", "friends", "hello")),
          run(concat(device, "read")),
          run(concat(device, "groups")),
          run(concat(device, "members", "friends")),
          run(concat(device, "send", "nosuch", "x")));
      assertTrue(outputs.get(0).get(0).startsWith("registered alice@example.com/phone"), outputs.get(0).toString());
      assertTrue(outputs.get(1).get(0).startsWith("created group friends"), outputs.get(1).toString());
      assertEquals(List.of("sent to friends"), outputs.get(2));
      assertEquals(List.of("no new messages"), outputs.get(3));
      assertTrue(outputs.get(6).get(0).startsWith("error: no group named 'nosuch'"), outputs.get(6).toString());
      outputs.forEach(QuietOutputTest::assertQuiet);
    } finally {
      server.destroy();
      server.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void verbose_showsLibraryMessages() throws Exception {
    Process server = jmls("server", "--port", "0", "--data", dir.resolve("data").toString(), "--verbose").start();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
      List<String> lines = new ArrayList<>();
      for (String line = r.readLine(); line != null && !line.startsWith("jmls AS and DS listening"); line = r.readLine()) {
        lines.add(line);
      }
      assertTrue(lines.stream().anyMatch(l -> l.contains("INFO") && l.contains("flywaydb")), "Flyway's INFO lines with --verbose: " + lines);
    } finally {
      server.destroy();
      server.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static String[] concat(String[] options, String... command) {
    return Stream.concat(Stream.of(command), Stream.of(options)).toArray(String[]::new);
  }
}
