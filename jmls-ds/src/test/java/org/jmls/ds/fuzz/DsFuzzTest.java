package org.jmls.ds.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.ds.TreeChanges;
import org.jmls.ds.http.CommitBundle;
import org.jmls.ds.http.DsClient;
import org.jmls.ds.http.DsServer;
import org.jmls.ds.http.QueueBatch;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.KeyPackages;
import org.jmls.message.Credential;
import org.jmls.message.Lifetime;
import org.jmls.message.MlsMessage;
import org.jmls.service.Database;
import org.jmls.service.Databases;

/**
 * What strangers reach at the DS. The binary bodies it reads (commit bundles, tree change sets) and
 * the one clients read from it (queue batches): a value or a {@link DecodeException}. And the HTTP
 * handlers of a real DS on loopback (SQLite): every route, requests signed by a registered device
 * or not, any content type, any query, any body. The answer is never a 5xx, and every refusal is a
 * JSON error naming its rule.
 */
class DsFuzzTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final GroupServices S = GroupServices.development();
  private static final MlsCrypto C = S.provider().suite(SUITE);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[][] ROUTES = {
      {"POST", "/ds/clients"}, {"POST", "/ds/clients/credential"}, {"POST", "/ds/key-packages"}, {"POST", "/ds/key-packages/claim"},
      {"GET", "/ds/key-packages/stock"}, {"POST", "/ds/groups"}, {"POST", "/ds/groups/commit"}, {"POST", "/ds/messages"},
      {"GET", "/ds/queue"}, {"POST", "/ds/queue/ack"}, {"GET", "/ds/groups/%s/log"}, {"GET", "/ds/groups/%s/tree"},
      {"GET", "/ds/groups/%s/group-info"}};
  private static final String[] TYPES = {"application/json", "message/mls", CommitBundle.MEDIA_TYPE, "application/octet-stream", ""};

  private record Live(DsServer server, DsClient device, String groupHex, HttpClient http) {}

  private static Live live;

  private static synchronized Live live() throws Exception {
    if (live == null) {
      Database db = Databases.freshWith("sqlite", "db/ds");
      DsServer server = DsServer.start("127.0.0.1", 0, db, S);
      String base = "http://127.0.0.1:" + server.port();
      KeyPair sig = C.generateSignatureKeyPair();
      long now = S.clock().instant().getEpochSecond();
      KeyPackageBundle kp = KeyPackages.create(C, new Credential.Basic(Bytes.wrap("fuzz".getBytes())), sig,
          KeyPackages.defaultCapabilities(SUITE), new Lifetime(now - 60, now + 86400), List.of(), List.of());
      DsClient device = new DsClient(base, "fuzz", C, sig.privateKey());
      device.call("POST", "/ds/clients", Map.of("clientId", "fuzz", "userId", "fuzz",
          "signatureKey", Base64.getEncoder().encodeToString(sig.publicKey().toByteArray()),
          "credential", Base64.getEncoder().encodeToString(kp.keyPackage().leafNode().credential().toByteArray()), "cipherSuite", 1));
      Group g = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {4, 4, 4}), kp, List.of());
      device.call("POST", "/ds/groups", Map.of("groupInfo", Base64.getEncoder().encodeToString(g.groupInfo(true).toByteArray()),
          "publicHandshakes", true, "externalJoins", true));
      live = new Live(server, device, g.groupId().hex(), HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
    }
    return live;
  }

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
    Live l = live();
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
