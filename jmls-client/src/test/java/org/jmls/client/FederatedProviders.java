package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jmls.Bytes;

/** Federated providers as real server processes, and their devices, for the process tests. */
final class FederatedProviders {
  private FederatedProviders() {}

  record Provider(String domain, Path data, int port, String jdbc, Path config) {
    String url() {
      return "http://127.0.0.1:" + port;
    }
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static String database(String db, String name) throws Exception {
    if (!db.equals("postgres")) {
      return null;
    }
    EmbeddedPostgres pg = org.jmls.service.Databases.postgres();
    String unique = name + System.nanoTime();
    try (var c = pg.getPostgresDatabase().getConnection(); var s = c.createStatement()) {
      s.execute("CREATE DATABASE " + unique);
    }
    return pg.getJdbcUrl("postgres", unique);
  }

  static Provider provider(String domain, String db) throws Exception {
    Path data = Files.createTempDirectory("jmls-fed-" + domain);
    return new Provider(domain, data, freePort(), database(db, domain.replace(".", "_")), data.resolve("federation.json"));
  }

  /** Each names the other as its peer, its root the file the other writes as it starts. */
  static void federate(Provider a, Provider b) throws Exception {
    for (Provider[] pair : new Provider[][] {{a, b}, {b, a}}) {
      Files.writeString(pair[0].config(), "{\"domain\": \"" + pair[0].domain() + "\", \"peers\": [{\"domain\": \"" + pair[1].domain()
          + "\", \"url\": \"" + pair[1].url() + "\", \"asRoot\": \"" + pair[1].data().resolve("as-root.pem") + "\"}]}");
    }
  }

  static Process launch(Provider p, String... jvmOptions) throws Exception {
    List<String> options = new ArrayList<>(List.of("-Djmls.federation=" + p.config()));
    options.addAll(List.of(jvmOptions));
    return org.jmls.server.ServerProcess.start(options, p.data(), p.port(), "adm", p.jdbc());
  }

  static MlsClient device(Provider p, String user, String device) throws Exception {
    MlsClient c = new MlsClient(p.url(), user, device, TestServers.SUITE);
    c.enrol("adm", null, 2);
    return c;
  }

  /** Syncs {@code c} until it holds {@code n} more texts than {@code have}, waiting on the DS (its long-poll), not sleeping. */
  static List<String> receive(MlsClient c, int n) throws Exception {
    return receive(c, n, 60_000);
  }

  /** As {@link #receive(MlsClient, int)}, failing after {@code millis}. */
  static List<String> receive(MlsClient c, int n, long millis) throws Exception {
    List<String> got = new ArrayList<>();
    long deadline = System.currentTimeMillis() + millis;
    while (got.size() < n) {
      assertTrue(System.currentTimeMillis() < deadline, c.clientId() + " got " + got.size() + " of " + n + ": " + got);
      for (MlsClient.Received r : c.syncWaiting(5_000)) {
        got.add(r.text());
      }
    }
    return got;
  }

  /** Syncs {@code c} (on the DS's long-poll) until it is, or is no longer, in the group; fails after 60 s. */
  static void awaitMembership(MlsClient c, Bytes gid, boolean member) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (c.inGroup(gid) != member) {
      assertTrue(System.currentTimeMillis() < deadline, c.clientId() + (member ? " never joined" : " never learnt of its removal"));
      c.syncWaiting(5_000);
    }
  }

  static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

  /** {@code p}'s operator revokes a device through its AS's admin API. */
  static void revoke(Provider p, String clientId) throws Exception {
    java.net.http.HttpResponse<String> r = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(p.url() + "/as/revoke"))
        .header("Authorization", "Bearer adm").header("Content-Type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"client\": \"" + clientId + "\"}")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
  }

  /** The value of the metric line that starts with {@code series} (name and labels) on {@code url}'s /metrics; fails if absent. */
  static double metric(String url, String series) throws Exception {
    String body = HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    for (String line : body.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    throw new AssertionError("no " + series + " at " + url + ":\n" + body);
  }
}
