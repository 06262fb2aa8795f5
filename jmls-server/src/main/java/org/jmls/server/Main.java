package org.jmls.server;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Plain entry point (no CLI parsing library) used to run the services as a separate process in
 * tests: {@code Main DATA_DIR PORT ADMIN_TOKEN [JDBC_URL USER PASSWORD]}; with the system property
 * {@code jmls.federation} naming a federation file, a federated provider; {@code jmls.node}, the node's name
 * (several nodes on one PostgreSQL); {@code jmls.rate-limit}, requests per second per device (load generators). {@code ./jmls server} is
 * the person-facing command.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    String url = args.length > 3 ? args[3] : null;
    String federation = System.getProperty("jmls.federation");
    JmlsServer s = JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.BOTH, Path.of(args[0]), "127.0.0.1",
        Integer.parseInt(args[1]), url, args.length > 4 ? args[4] : null, args.length > 5 ? args[5] : null, args[2], false, 86400)
        .node(System.getProperty("jmls.node")),
        federation == null ? null : org.jmls.federation.FederationConfig.read(Path.of(federation)));
    Integer rate = Integer.getInteger("jmls.rate-limit");
    if (rate != null) {
      s.ds().rateLimit(rate);
    }
    System.out.println("ready " + s.port());
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
