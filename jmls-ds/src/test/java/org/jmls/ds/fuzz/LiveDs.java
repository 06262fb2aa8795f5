package org.jmls.ds.fuzz;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.ds.http.DsClient;
import org.jmls.ds.http.DsServer;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.KeyPackages;
import org.jmls.message.Credential;
import org.jmls.message.Lifetime;
import org.jmls.service.Database;
import org.jmls.service.Databases;

/**
 * The real DS the HTTP and WebSocket fuzz targets talk to, one per JVM: SQLite, on loopback, one
 * registered device ({@code fuzz}) that created one group. The per-device rate limit is lifted:
 * at the fuzzer's pace the default would refuse nearly every request before its handler ran, and
 * the handlers are what is fuzzed (the limit itself has its own tests).
 */
record LiveDs(DsServer server, DsClient device, KeyPair signature, String groupHex, HttpClient http) {
  static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  static final GroupServices S = GroupServices.development();
  static final MlsCrypto C = S.provider().suite(SUITE);
  static final String CLIENT = "fuzz";

  private static LiveDs live;

  static synchronized LiveDs get() throws Exception {
    // The harness talks to the DS over loopback on purpose; set on every call (every execution), as Jazzer's SSRF
    // detector otherwise flags a new connection once fuzzing is under way, inside an HttpClient worker.
    com.code_intelligence.jazzer.api.BugDetectors.allowNetworkConnections();
    if (live == null) {
      Database db = Databases.freshWith("sqlite", "db/ds");
      DsServer server = DsServer.start("127.0.0.1", 0, db, S).rateLimit(1_000_000);
      String base = "http://127.0.0.1:" + server.port();
      KeyPair sig = C.generateSignatureKeyPair();
      long now = S.clock().instant().getEpochSecond();
      KeyPackageBundle kp = KeyPackages.create(C, new Credential.Basic(Bytes.wrap(CLIENT.getBytes())), sig,
          KeyPackages.defaultCapabilities(SUITE), new Lifetime(now - 60, now + 86400), List.of(), List.of());
      DsClient device = new DsClient(base, CLIENT, C, sig.privateKey());
      device.call("POST", "/ds/clients", Map.of("clientId", CLIENT, "userId", CLIENT,
          "signatureKey", Base64.getEncoder().encodeToString(sig.publicKey().toByteArray()),
          "credential", Base64.getEncoder().encodeToString(kp.keyPackage().leafNode().credential().toByteArray()), "cipherSuite", 1));
      Group g = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {4, 4, 4}), kp, List.of());
      device.call("POST", "/ds/groups", Map.of("groupInfo", Base64.getEncoder().encodeToString(g.groupInfo(true).toByteArray()),
          "publicHandshakes", true, "externalJoins", true));
      live = new LiveDs(server, device, sig, g.groupId().hex(), HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build());
    }
    return live;
  }
}
