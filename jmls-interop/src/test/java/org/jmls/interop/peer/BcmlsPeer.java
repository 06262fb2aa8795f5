package org.jmls.interop.peer;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;

/**
 * Serves bcmls's own {@code mls_client.MLSClient} implementation (BouncyCastle's MLS library,
 * {@code org.bouncycastle.mls.client.MLSClientImpl}) on a free loopback port, in a process whose
 * classpath holds bcmls and BouncyCastle 1.84 and not jmls. Prints {@code port N} once listening;
 * stops when its standard input closes. bcmls's own {@code MLSServer} listens on a fixed port,
 * which parallel builds would fight over. The implementation is loaded by name: this class is
 * compiled with jmls's tests, which must not see bcmls's copy of the generated gRPC classes.
 */
public final class BcmlsPeer {
  private BcmlsPeer() {}

  public static void main(String[] args) throws Exception {
    BindableService impl = (BindableService) Class.forName("org.bouncycastle.mls.client.MLSClientImpl")
        .getDeclaredConstructor().newInstance();
    Server server = ServerBuilder.forPort(0).addService(impl).build().start();
    System.out.println("port " + server.getPort());
    System.out.flush();
    while (System.in.read() >= 0) {
      // until the parent closes our input (or dies)
    }
    server.shutdownNow();
  }
}
