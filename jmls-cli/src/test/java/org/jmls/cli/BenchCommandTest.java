package org.jmls.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * `jmls bench ds` in miniature over both transports: real servers, real groups, and a result that
 * accounts for every message (all delivered, none twice, none unknown; the exit code says so too).
 */
class BenchCommandTest {
  /** Without --warmup: 10 s for one server, 60 s for several node processes (their compilers share the cores). */
  @Test
  void warmup_default_longerForSeveralNodes() {
    assertEquals(10, BenchCommand.Ds.defaultWarmup(null));
    assertEquals(10, BenchCommand.Ds.defaultWarmup(1));
    assertEquals(60, BenchCommand.Ds.defaultWarmup(3));
    CommandLine.ParseResult given = new CommandLine(new Main()).parseArgs("bench", "ds", "--nodes", "3", "--warmup", "5");
    BenchCommand.Ds ds = (BenchCommand.Ds) given.subcommand().subcommand().commandSpec().userObject();
    assertEquals(5, ds.warmup, "a given --warmup is kept");
  }

  /** --database-delay-us only with --nodes, and within 0 to 100,000 µs: refused with exit code 2 before anything starts. */
  @Test
  void databaseDelay_withoutNodesOrOutOfRange_refused() {
    assertEquals(2, new CommandLine(new Main()).execute("bench", "ds", "--database-delay-us", "250"));
    assertEquals(2, new CommandLine(new Main()).execute("bench", "ds", "--nodes", "1", "--database-delay-us", "-1"));
    assertEquals(2, new CommandLine(new Main()).execute("bench", "ds", "--nodes", "1", "--database-delay-us", "100001"));
    CommandLine.ParseResult given = new CommandLine(new Main()).parseArgs("bench", "ds", "--nodes", "3", "--database-delay-us", "250");
    assertEquals(250, ((BenchCommand.Ds) given.subcommand().subcommand().commandSpec().userObject()).databaseDelayMicros);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ws", "http"})
  void dsLoad_smallRun_deliversEverythingExactlyOnce(String transport) throws Exception {
    PrintStream old = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      code = new CommandLine(new Main()).execute("bench", "ds", "--groups", "2", "--group-size", "3", "--senders", "3",
          "--receivers", "3", "--seconds", "1", "--warmup", "1", "--in-flight", "4", "--transport", transport, "--json");
    } finally {
      System.setOut(old);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, text);
    Map<?, ?> r = new ObjectMapper().readValue(text, Map.class);
    long accepted = ((Number) r.get("accepted")).longValue();
    assertTrue(accepted > 0, text);
    // Every message reaches the two other members of its group (all three fetch).
    assertEquals(2 * accepted, ((Number) r.get("expectedDeliveries")).longValue(), text);
    assertEquals(2 * accepted, ((Number) r.get("delivered")).longValue(), text);
    assertEquals(0L, ((Number) r.get("duplicates")).longValue(), text);
    assertEquals(0L, ((Number) r.get("unknown")).longValue(), text);
    assertEquals(transport.equals("ws") ? "WebSocket" : "HTTP", r.get("transport"));
    // The warm-up's messages are delivered and left out: the counts are of the timed phase alone.
    assertEquals(1, ((Number) r.get("warmupSeconds")).intValue(), text);
    assertTrue(((Number) r.get("seconds")).doubleValue() < 1.9, text);
  }

  /**
   * `jmls bench group` in miniature: a group formed by one bulk add through the servers, joins with
   * the tree the DS keeps, commit rounds, and an offline client that catches up with every message
   * (the command fails if any member disagrees or a message is missing).
   */
  @org.junit.jupiter.api.Test
  void groupLoad_smallRun_everyPhaseReported() throws Exception {
    PrintStream old = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      code = new CommandLine(new Main()).execute("bench", "group", "--members", "40", "--commits", "3", "--messages", "30", "--json");
    } finally {
      System.setOut(old);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, text);
    Map<?, ?> r = new ObjectMapper().readValue(text, Map.class);
    java.util.List<?> phases = (java.util.List<?>) r.get("phases");
    assertEquals(9, phases.size(), text);
    for (Object p : phases) {
      assertTrue(((Number) ((Map<?, ?>) p).get("millis")).doubleValue() > 0, text);
    }
    Map<?, ?> add = (Map<?, ?>) phases.get(1);
    assertTrue(((Number) add.get("bytes")).longValue() > 0, "the bulk add's upload is measured: " + text);
    assertTrue(String.valueOf(((Map<?, ?>) phases.get(3)).get("detail")).startsWith("p50 of 5 (leaves [2, 4, 8, 16, 32]"), text);
    assertTrue(String.valueOf(((Map<?, ?>) phases.get(5)).get("detail")).startsWith("40 members"), text);
  }
}
