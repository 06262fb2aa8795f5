package org.jmls.ds.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.jmls.codec.DecodeException;
import org.jmls.ds.TreeChanges;
import org.jmls.ds.http.CommitBundle;
import org.jmls.ds.http.QueueBatch;

/**
 * What strangers reach at the DS. The binary bodies it reads (commit bundles, tree change sets) and
 * the one clients read from it (queue batches): a value or a {@link DecodeException}. And the HTTP
 * handlers of a real DS on loopback (SQLite): every route, requests signed by a registered device
 * or not, any content type, any query, any body. The answer is never a 5xx, and every refusal is a
 * JSON error naming its rule.
 */
class DsFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[][] ROUTES = {
      {"POST", "/ds/clients"}, {"POST", "/ds/clients/credential"}, {"POST", "/ds/key-packages"}, {"POST", "/ds/key-packages/claim"},
      {"GET", "/ds/key-packages/stock"}, {"POST", "/ds/groups"}, {"POST", "/ds/groups/commit"}, {"POST", "/ds/messages"},
      {"GET", "/ds/queue"}, {"POST", "/ds/queue/ack"}, {"GET", "/ds/groups/%s/log"}, {"GET", "/ds/groups/%s/tree"},
      {"GET", "/ds/groups/%s/group-info"}};
  private static final String[] TYPES = {"application/json", "message/mls", CommitBundle.MEDIA_TYPE, "application/octet-stream", ""};

  @FuzzTest(maxDuration = "30m", maxExecutions = 10_000_000)
  void commitBundle(byte[] input) {
    valueOrDecodeError(() -> CommitBundle.fromBytes(input));
  }

  @FuzzTest(maxDuration = "30m", maxExecutions = 10_000_000)
  void queueBatch(byte[] input) {
    valueOrDecodeError(() -> QueueBatch.fromBytes(input));
  }

  @FuzzTest(maxDuration = "30m", maxExecutions = 10_000_000)
  void treeChanges(byte[] input) {
    valueOrDecodeError(() -> TreeChanges.fromBytes(input));
  }

  private interface Decoding {
    Object decode() throws DecodeException;
  }

  /** Anything but a value or a DecodeException escapes and is a finding. */
  private static void valueOrDecodeError(Decoding d) {
    try {
      d.decode();
    } catch (DecodeException refused) {
      // refused
    }
  }

  @FuzzTest(maxDuration = "90m", maxExecutions = 10_000_000)
  void httpHandlers(FuzzedDataProvider data) throws Exception {
    LiveDs l = LiveDs.get();
    String[] route = ROUTES[data.consumeInt(0, ROUTES.length - 1)];
    String path = route[1].contains("%s") ? String.format(route[1], data.consumeBoolean() ? l.groupHex() : sanitize(data.consumeString(40)))
        : route[1];
    if (data.consumeBoolean()) {
      path += "?" + sanitize(data.consumeString(60));
    }
    String type = TYPES[data.consumeInt(0, TYPES.length - 1)];
    boolean signed = data.consumeInt(0, 9) > 0;
    byte[] body = data.consumeRemainingAsBytes();
    HttpRequest request;
    if (signed) {
      request = l.device().prepare(route[0], path, route[0].equals("GET") ? new byte[0] : body, type.isEmpty() ? "application/json" : type);
    } else {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + l.server().port() + path))
          .method(route[0], route[0].equals("GET") ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
      if (!type.isEmpty()) {
        b.header("Content-Type", type);
      }
      request = b.build();
    }
    HttpResponse<byte[]> r = l.http().send(request, HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() >= 500) {
      throw new AssertionError(route[0] + " " + path + " answered " + r.statusCode() + ": " + new String(r.body()));
    }
    if (r.statusCode() >= 400) {
      Map<?, ?> error = JSON.readValue(r.body(), Map.class);
      if (!(error.get("error") instanceof String rule) || rule.isBlank()) {
        throw new AssertionError(route[0] + " " + path + " refused without a rule: " + new String(r.body()));
      }
    }
  }

  /** Characters a URI path or query may carry (the fuzzer's strings otherwise fail URI parsing, not the DS). */
  private static String sanitize(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      b.append(Character.isLetterOrDigit(c) && c < 128 || "=&-_.".indexOf(c) >= 0 ? c : 'x');
    }
    return b.toString();
  }
}
