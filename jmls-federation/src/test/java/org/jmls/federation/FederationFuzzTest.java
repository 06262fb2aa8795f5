package org.jmls.federation;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jmls.ds.http.CommitBundle;

/**
 * What a peer provider (or a stranger) reaches at a federated provider: every {@code /fed/} route
 * of example.org (a real provider on loopback, SQLite, one user in a group it hosts, one group it
 * follows), requests signed by its configured peer example.com or not, any query, content type and
 * body, group ids real or not, senders of either domain. Never a 500; a 5xx only as a federation
 * rule (a peer unreachable or answering what does not verify); every 4xx a JSON error with a rule.
 */
class FederationFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[][] ROUTES = {
      {"GET", "/fed/provider"}, {"GET", "/fed/roots"}, {"POST", "/fed/key-packages/claim"}, {"POST", "/fed/relay/messages"},
      {"POST", "/fed/relay/messages/batch"}, {"POST", "/fed/relay/commit"}, {"GET", "/fed/relay/groups/%s/log"},
      {"GET", "/fed/relay/groups/%s/group-info"}, {"GET", "/fed/relay/groups/%s/tree"}, {"POST", "/fed/notify"}, {"POST", "/fed/wake"}};
  private static final String[] TYPES = {"application/json", "message/mls", CommitBundle.MEDIA_TYPE, "application/octet-stream", ""};
  private static final String[] SENDERS = {"bob@example.org/phone", "alice@example.com/phone", "mallory@example.net/x", "", "bob"};

  private record Live(Provider com, Provider org, String groupHex, HttpClient http) {}

  private static Live live;
  private static long stamp;

  private static synchronized Live live() throws Exception {
    if (live == null) {
      Provider com = Provider.create("example.com", "sqlite");
      Provider org = Provider.create("example.org", "sqlite");
      com.start(org);
      org.start(com);
      Member bob = Member.of(org, "bob@example.org", "phone");
      bob.create(org.clientServices(com), new byte[] {9, 9, 9});
      live = new Live(com, org, bob.group.groupId().hex(), HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
    }
    return live;
  }

  @FuzzTest(maxDuration = "150m", maxExecutions = 10_000_000)
  void fedRoutes(FuzzedDataProvider data) throws Exception {
    // Providers, harness and AS status checks talk over loopback on purpose. Without this, set for every
    // execution, Jazzer's SSRF detector flags a new connection once fuzzing is under way (in an HttpClient
    // worker thread, where it killed the worker and left the campaign waiting; at 1.2 and 2.3 million executions).
    com.code_intelligence.jazzer.api.BugDetectors.allowNetworkConnections();
    Live l = live();
    String[] route = ROUTES[data.consumeInt(0, ROUTES.length - 1)];
    String path = route[1].contains("%s") ? String.format(route[1], data.consumeBoolean() ? l.groupHex() : sanitize(data.consumeString(40)))
        : route[1];
    String query = "";
    if (data.consumeBoolean()) {
      query = "sender=" + java.net.URLEncoder.encode(SENDERS[data.consumeInt(0, SENDERS.length - 1)], java.nio.charset.StandardCharsets.UTF_8);
    }
    if (data.consumeBoolean()) {
      query += (query.isEmpty() ? "" : "&") + sanitize(data.consumeString(40));
    }
    String full = query.isEmpty() ? path : path + "?" + query;
    String type = TYPES[data.consumeInt(0, TYPES.length - 1)];
    boolean signed = data.consumeInt(0, 9) > 0;
    byte[] body = data.consumeRemainingAsBytes();
    // A bound on every answer: an exchange that never completes is a finding with its input, not a hung campaign.
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(l.org().url() + full)).timeout(Duration.ofSeconds(30))
        .method(route[0], route[0].equals("GET") ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (!type.isEmpty()) {
      b.header("Content-Type", type);
    }
    if (signed) {
      long ts;
      synchronized (FederationFuzzTest.class) {
        ts = Math.max(System.currentTimeMillis(), stamp + 1);
        stamp = ts;
      }
      b.header(ProviderRequest.FROM, "example.com").header(ProviderRequest.TIMESTAMP, Long.toString(ts)).header(ProviderRequest.SIGNATURE,
          ProviderRequest.sign(l.com().as.providerIdentity().privateKey(), route[0], full, ts, "example.com", "example.org",
              route[0].equals("GET") ? new byte[0] : body));
    }
    HttpResponse<byte[]> r = l.http().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    String text = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
    if (r.statusCode() >= 400) {
      Map<?, ?> error = JSON.readValue(r.body(), Map.class);
      if (!(error.get("error") instanceof String rule) || rule.isBlank()) {
        throw new AssertionError(route[0] + " " + full + " refused without a rule: " + text);
      }
      if (r.statusCode() >= 500 && !List.of("fed.peer-unavailable", "fed.peer-answer").contains(rule)) {
        throw new AssertionError(route[0] + " " + full + " answered " + r.statusCode() + ": " + text);
      }
    }
  }

  /** Characters a URI path or query may carry (the fuzzer's strings otherwise fail URI parsing, not the provider). */
  private static String sanitize(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      b.append(Character.isLetterOrDigit(c) && c < 128 || "=&-_.".indexOf(c) >= 0 ? c : 'x');
    }
    return b.toString();
  }

}
