package org.jmls.federation;

import io.javalin.Javalin;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.as.AsServer;
import org.jmls.as.AuthenticationService;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.DefaultCryptoProvider;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.ds.http.DsClient;
import org.jmls.ds.http.DsServer;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.KeyPackages;
import org.jmls.group.PskStore;
import org.jmls.message.Lifetime;
import org.jmls.message.MlsMessage;
import org.jmls.service.Database;
import org.jmls.service.Databases;

/**
 * One provider for the federation tests: its own AS and DS (own databases) and its /fed/ routes
 * on a real HTTP server on loopback. Made in two steps, because each provider's configuration
 * names the other's URL and root: {@link #create} (AS root and port known), then {@link #start}.
 */
final class Provider implements AutoCloseable {
  static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  static final MlsCrypto C = DefaultCryptoProvider.instance().suite(SUITE);

  final String domain;
  final int port;
  final Database asDb;
  final Database dsDb;
  final AuthenticationService as;
  Javalin app;
  DsServer ds;
  /** How long a peer AS's "not revoked" is trusted here (60 s, as by default). */
  java.time.Duration statusTtl = java.time.Duration.ofSeconds(60);
  Federation federation;

  private Provider(String domain, int port, Database asDb, Database dsDb, AuthenticationService as) {
    this.domain = domain;
    this.port = port;
    this.asDb = asDb;
    this.dsDb = dsDb;
    this.as = as;
  }

  static Provider create(String domain, String db) throws Exception {
    Database asDb = Databases.freshWith(db, "db/as");
    Database dsDb = Databases.freshWith(db, "db/ds");
    AuthenticationService as = new AuthenticationService(asDb, DefaultCryptoProvider.instance(), Clock.systemUTC(), domain, 86400, false)
        .domain(domain);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    return new Provider(domain, port, asDb, dsDb, as);
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  FederationConfig.Peer asPeer() {
    return new FederationConfig.Peer(domain, URI.create(url()), as.root());
  }

  private FederationConfig config(Provider... peers) {
    Map<String, FederationConfig.Peer> map = new java.util.LinkedHashMap<>();
    for (Provider p : peers) {
      map.put(p.domain, p.asPeer());
    }
    return new FederationConfig(domain, map, statusTtl);
  }

  /** What this provider's devices check credentials with: its own root, and its peers' for their users. */
  GroupServices clientServices(Provider... peers) {
    return new GroupServices(DefaultCryptoProvider.instance(), Clock.systemUTC(),
        Federation.credentials(config(peers), as.validator(false), Clock.systemUTC()), PskStore.NONE, null);
  }

  /** Starts {@code a} and {@code b}, each naming the other as its peer. */
  static void federate(Provider a, Provider b) {
    a.start(b);
    b.start(a);
    a.clients = a.clientServices(b);
    b.clients = b.clientServices(a);
  }

  /** The group services of this provider's devices, once {@link #federate}d: credentials checked as its DS does. */
  GroupServices clients;

  Provider start(Provider... peers) {
    FederationConfig config = config(peers);
    GroupServices services = clientServices(peers);
    app = DsServer.newApp();
    AsServer.install(app, as, "admin-" + domain);
    ds = DsServer.install(app, dsDb, services);
    federation = Federation.install(app, config, as, ds, dsDb, services);
    app.start("127.0.0.1", port);
    federation.announce();
    return this;
  }

  /** A device of {@code user} (of this provider) registered at its DS, with {@code oneTime} KeyPackages and a last-resort one uploaded. */
  record Device(String clientId, DsClient ds, KeyPair key, AuthenticationService.Issued issued) {}

  Device device(String user, String device, int oneTime) throws Exception {
    KeyPair key = C.generateSignatureKeyPair();
    long ts = System.currentTimeMillis();
    Bytes proof = C.signWithLabel(key.privateKey(), AuthenticationService.ENROL_LABEL,
        AuthenticationService.enrolTbs(user, device, SUITE.id(), key.publicKey(), ts));
    AuthenticationService.Issued issued = as.enrol(new AuthenticationService.Enrolment(user, device, SUITE.id(), key.publicKey(), ts,
        proof, null, true));
    String clientId = user + "/" + device;
    DsClient client = new DsClient(url(), clientId, C, key.privateKey());
    DsClient.Response r = client.call("POST", "/ds/clients", Map.of("clientId", clientId, "userId", user,
        "signatureKey", b64(key.publicKey().toByteArray()), "credential", b64(issued.credential().toByteArray()), "cipherSuite", 1));
    if (r.status() != 201 && r.status() != 200) {
      throw new IllegalStateException("registration refused: " + r.status() + " " + r.json());
    }
    List<Map<String, Object>> batch = new ArrayList<>();
    long now = ts / 1000;
    for (int i = 0; i <= oneTime; i++) {
      KeyPackageBundle kp = KeyPackages.create(C, issued.credential(), key, KeyPackages.defaultCapabilities(SUITE),
          new Lifetime(now - 60, now + 86400), List.of(), List.of());
      batch.add(Map.of("data", b64(MlsMessage.of(kp.keyPackage()).toByteArray()), "lastResort", i == oneTime));
    }
    r = client.call("POST", "/ds/key-packages", Map.of("keyPackages", batch));
    if (r.status() != 201) {
      throw new IllegalStateException("upload refused: " + r.status() + " " + r.json());
    }
    return new Device(clientId, client, key, issued);
  }

  static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  /** Stops the HTTP server (the provider is "down"); its databases stay. */
  void stop() {
    if (federation != null) {
      federation.close();
      federation = null;
    }
    if (app != null) {
      app.stop();
      app = null;
    }
  }

  @Override
  public void close() {
    stop();
    asDb.close();
    dsDb.close();
  }
}
