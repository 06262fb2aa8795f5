package org.jmls.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * `jmls bench ds` in miniature over both transports: real servers, real groups, and a result that
 * accounts for every message (all delivered, none twice, none unknown; the exit code says so too).
 */
class BenchCommandTest {
  @ParameterizedTest
  @ValueSource(strings = {"ws", "http"})
  void dsLoad_smallRun_deliversEverythingExactlyOnce(String transport) throws Exception {
    PrintStream old = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      code = new CommandLine(new Main()).execute("bench", "ds", "--groups", "2", "--group-size", "3", "--senders", "3",
          "--receivers", "3", "--seconds", "1", "--in-flight", "4", "--transport", transport, "--json");
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
  }
}
