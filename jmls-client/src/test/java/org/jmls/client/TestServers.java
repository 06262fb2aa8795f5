package org.jmls.client;

import java.nio.file.Path;
import org.jmls.crypto.CipherSuite;
import org.jmls.server.JmlsServer;

/** A real AS+DS on loopback with operator token "adm", and devices enrolled against it. */
final class TestServers {
  static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

  private TestServers() {}

  static JmlsServer start(Path data) throws Exception {
    return JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.BOTH, data, "127.0.0.1", 0, null, null, null, "adm", false, 86400));
  }

  /** A device of {@code user} enrolled with two one-time KeyPackages and a last-resort one. */
  static MlsClient enrolled(JmlsServer s, String user, String device) throws Exception {
    MlsClient c = new MlsClient("http://127.0.0.1:" + s.port(), user, device, SUITE);
    c.enrol("adm", null, 2);
    return c;
  }
}
