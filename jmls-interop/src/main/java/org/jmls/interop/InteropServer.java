package org.jmls.interop;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;

/** Starts the mls_client.MLSClient gRPC service on a port (0 picks a free one). */
public final class InteropServer implements AutoCloseable {
  private final Server server;

  private InteropServer(Server server) {
    this.server = server;
  }

  public static InteropServer start(String host, int port) throws IOException {
    Server s = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
        .addService(new JmlsClientService())
        .maxInboundMessageSize(64 << 20)
        .build()
        .start();
    return new InteropServer(s);
  }

  public int port() {
    return server.getPort();
  }

  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
