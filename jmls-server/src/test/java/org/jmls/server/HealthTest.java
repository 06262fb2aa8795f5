package org.jmls.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /health} as a load balancer reads it: a node names itself and says whether it has its
 * database and its notification channel to the other nodes; when PostgreSQL goes away the answer
 * turns to 503, so the node is taken out.
 */
class HealthTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> health(JmlsServer s) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void postgresNode_reportsDatabaseAndChannel_503WhenPostgresStops() throws Exception {
    EmbeddedPostgres pg = EmbeddedPostgres.builder().start(); // its own: this test stops it
    JmlsServer s = JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.BOTH, Files.createTempDirectory("jmls-health"), "127.0.0.1", 0,
        pg.getJdbcUrl("postgres", "postgres"), "postgres", "postgres", "adm", false, 86400).node("edge-1"));
    try {
      HttpResponse<String> up = health(s);
      assertEquals(200, up.statusCode(), up.body());
      Map<?, ?> m = JSON.readValue(up.body(), Map.class);
      assertEquals("ok", m.get("status"));
      assertEquals("edge-1", m.get("node"));
      assertEquals(true, m.get("database"));
      assertEquals(true, m.get("notifications"));

      pg.close();
      // Each answer takes up to the database probe's 2 s; the listening connection notices within its next read.
      long deadline = System.currentTimeMillis() + 60_000;
      Map<?, ?> down;
      HttpResponse<String> r;
      do {
        assertTrue(System.currentTimeMillis() < deadline, "still healthy a minute after PostgreSQL stopped");
        r = health(s);
        down = JSON.readValue(r.body(), Map.class);
      } while (!Boolean.FALSE.equals(down.get("notifications")));
      assertEquals(503, r.statusCode(), r.body());
      assertEquals("unavailable", down.get("status"));
      assertEquals(false, down.get("database"));
      assertEquals("edge-1", down.get("node"));
    } finally {
      s.close();
      pg.close();
    }
  }

  @Test
  void sqliteNode_hasNoNotificationChannel() throws Exception {
    try (JmlsServer s = JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.BOTH, Files.createTempDirectory("jmls-health"), "127.0.0.1",
        0, null, null, null, "adm", false, 86400).node("solo"))) {
      HttpResponse<String> r = health(s);
      assertEquals(200, r.statusCode(), r.body());
      Map<?, ?> m = JSON.readValue(r.body(), Map.class);
      assertEquals(Map.of("status", "ok", "node", "solo", "database", true), m);
    }
  }
}
