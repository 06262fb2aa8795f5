package org.jmls.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.as.AuthenticationService;
import org.jmls.codec.TlsReader;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.DefaultCryptoProvider;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.ds.http.DsClient;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.KeyPackages;
import org.jmls.message.Credential;
import org.jmls.message.Lifetime;
import org.jmls.message.MlsMessage;
import org.jmls.message.Welcome;

/** A test device talking to real servers over HTTP: enrolled with the AS, registered with the DS. */
final class Member {
  static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  static final MlsCrypto C = DefaultCryptoProvider.instance().suite(SUITE);
  private static final ObjectMapper JSON = new ObjectMapper();

  final String id;
  final DsClient ds;
  final KeyPackageBundle kp;
  final GroupServices services;
  Group group;
  long seq;

  static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  static byte[] unb64(Object s) {
    return Base64.getDecoder().decode((String) s);
  }

  Member(String base, String adminToken, String user, String device, GroupServices services) throws Exception {
    this.id = user + "/" + device;
    this.services = services;
    KeyPair sig = C.generateSignatureKeyPair();
    long ts = System.currentTimeMillis();
    Bytes proof = C.signWithLabel(sig.privateKey(), "jmls AS enrolment",
        AuthenticationService.enrolTbs(user, device, SUITE.id(), sig.publicKey(), ts));
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/as/enrol"))
        .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("user", user, "device", device, "cipherSuite", 1,
            "signatureKey", b64(sig.publicKey().toByteArray()), "timestamp", ts, "proof", b64(proof.toByteArray()))))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(201, r.statusCode(), r.body());
    Credential cred = TlsReader.decode(unb64(JSON.readValue(r.body(), Map.class).get("credential")), Credential::decode);
    long now = ts / 1000;
    kp = KeyPackages.create(C, cred, sig, KeyPackages.defaultCapabilities(SUITE), new Lifetime(now - 60, now + 86400), List.of(), List.of());
    ds = new DsClient(base, id, C, sig.privateKey());
    DsClient.Response reg = ds.call("POST", "/ds/clients", Map.of("clientId", id, "userId", user,
        "signatureKey", b64(sig.publicKey().toByteArray()), "credential", b64(cred.toByteArray()), "cipherSuite", 1));
    assertEquals(201, reg.status(), String.valueOf(reg.json()));
    DsClient.Response up = ds.call("POST", "/ds/key-packages", Map.of("keyPackages",
        List.of(Map.of("data", b64(MlsMessage.of(kp.keyPackage()).toByteArray()), "lastResort", false))));
    assertEquals(201, up.status(), String.valueOf(up.json()));
  }

  /** Fetches, processes and acknowledges the queue; returns application plaintexts received. */
  List<String> sync() throws Exception {
    List<String> texts = new java.util.ArrayList<>();
    while (true) {
      DsClient.Response r = ds.call("GET", "/ds/queue?after=" + seq + "&limit=500", null);
      assertEquals(200, r.status());
      List<?> msgs = (List<?>) r.json().get("messages");
      if (msgs.isEmpty()) {
        return texts;
      }
      for (Object o : msgs) {
        Map<?, ?> m = (Map<?, ?>) o;
        MlsMessage msg = MlsMessage.fromBytes(unb64(m.get("data")));
        switch ((String) m.get("kind")) {
          case "welcome":
            group = Group.join(services, GroupConfig.defaults(), (Welcome) msg.body(), kp, null);
            break;
          case "commit":
            if (group.hasPendingCommit()) {
              group.discardPendingCommit();
            }
            group.merge((Group.StagedCommit) group.process(msg));
            break;
          default:
            Group.Processed p = group.process(msg);
            if (p instanceof Group.ApplicationMessage) {
              texts.add(new String(((Group.ApplicationMessage) p).data().toByteArray()));
            }
        }
        seq = ((Number) m.get("seq")).longValue();
      }
      assertEquals(200, ds.call("POST", "/ds/queue/ack", Map.of("upto", seq)).status());
    }
  }
}
