package org.jmls.cli;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jmls.Bytes;
import org.jmls.client.MlsClient;
import org.jmls.crypto.CipherSuite;
import org.jmls.federation.Federation;
import org.jmls.federation.FederationConfig;
import org.jmls.server.JmlsServer;

/**
 * {@code jmls demo --federated}: a group across two providers (RFC 9750 §6.10), each with its own
 * AS, DS and data folder on loopback: example.com embedded in this process (the hub of Alice's
 * group), example.org a separate server process, so that it can be killed (SIGKILL) and restarted
 * in the middle of the conversation. Every device talks to its own provider only.
 */
final class FederatedDemo {
  private final CipherSuite suite;
  private int step;

  FederatedDemo(CipherSuite suite) {
    this.suite = suite;
  }

  private void say(String s) {
    System.out.println();
    System.out.println((++step) + ". " + s);
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String name(MlsClient c) {
    return c.user() + (c.device().equals("phone") ? "" : "/" + c.device());
  }

  private static void show(MlsClient c, List<MlsClient.Received> got) {
    for (MlsClient.Received r : got) {
      System.out.printf("     %-24s <- %-26s \"%s\"%n", name(c), r.fromDevice(), r.text());
    }
  }

  /** Syncs until {@code n} texts arrived (on the DS's long-poll, not a fixed wait); prints them. */
  private static void receive(MlsClient c, int n) throws Exception {
    List<MlsClient.Received> got = new ArrayList<>();
    long deadline = System.currentTimeMillis() + 60_000;
    while (got.size() < n && System.currentTimeMillis() < deadline) {
      got.addAll(c.syncWaiting(5_000));
    }
    show(c, got);
    if (got.size() < n) {
      throw new IllegalStateException(c.clientId() + " received " + got.size() + " of " + n + " messages");
    }
  }

  private static void joined(MlsClient c, Bytes g) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (!c.inGroup(g) && System.currentTimeMillis() < deadline) {
      c.syncWaiting(5_000);
    }
    if (!c.inGroup(g)) {
      throw new IllegalStateException(c.clientId() + " never joined");
    }
  }

  /** example.org as its own server process (org.jmls.server.Main), federated with example.com. */
  private static Process startOrg(Path data, int port, Path config) throws Exception {
    return org.jmls.server.ServerProcess.start(List.of("-Djmls.federation=" + config), data, port, "org-admin", null);
  }

  int run() throws Exception {
    Path comData = Files.createTempDirectory("jmls-demo-com");
    Path orgData = Files.createTempDirectory("jmls-demo-org");
    int comPort = freePort();
    int orgPort = freePort();
    Path orgConfig = orgData.resolve("federation.json");
    Files.writeString(orgConfig, "{\"domain\": \"example.org\", \"peers\": [{\"domain\": \"example.com\", \"url\": \"http://127.0.0.1:"
        + comPort + "\", \"asRoot\": \"" + comData.resolve("as-root.pem") + "\"}]}");
    FederationConfig comConfig = new FederationConfig("example.com", java.util.Map.of("example.org",
        FederationConfig.peerWithRootFile("example.org", java.net.URI.create("http://127.0.0.1:" + orgPort), orgData.resolve("as-root.pem"))),
        java.time.Duration.ofSeconds(60));
    JmlsServer com = JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.BOTH, comData, "127.0.0.1", comPort, null, null, null,
        "com-admin", false, 86400), comConfig);
    com.federation().log(line -> System.out.println("     [example.com] " + line));
    Process org = startOrg(orgData, orgPort, orgConfig);
    String comUrl = "http://127.0.0.1:" + comPort;
    String orgUrl = "http://127.0.0.1:" + orgPort;
    System.out.println("Started two providers on loopback, each with its own AS, DS and SQLite folder:");
    System.out.println("  example.com at " + comUrl + " (in this process), example.org at " + orgUrl + " (its own process, pid "
        + org.pid() + ").");
    System.out.println("Each trusts the other's AS root for the other's users only; every device talks to its own provider.");
    System.out.println("Cipher suite " + suite.label() + ".");
    try {
      say("Alice and Charlie enrol at example.com, Bob enrols two devices at example.org.");
      MlsClient alice = new MlsClient(comUrl, "alice@example.com", "phone", suite);
      MlsClient charlie = new MlsClient(comUrl, "charlie@example.com", "phone", suite);
      MlsClient bob = new MlsClient(orgUrl, "bob@example.org", "phone", suite);
      MlsClient bobLaptop = new MlsClient(orgUrl, "bob@example.org", "laptop", suite);
      for (MlsClient c : List.of(alice, charlie)) {
        c.enrol("com-admin", null, 2);
      }
      for (MlsClient c : List.of(bob, bobLaptop)) {
        c.enrol("org-admin", null, 2);
      }
      for (MlsClient c : List.of(alice, charlie, bob, bobLaptop)) {
        System.out.println("     " + c.clientId() + ": credential from its provider's AS, KeyPackages at its provider's DS");
      }

      say("Alice creates a group at example.com (its hub) and adds bob@example.org and Charlie: example.com claims Bob's"
          + " KeyPackages (one per device) at example.org and checks them under example.org's root; the Welcome goes to example.org.");
      Bytes g = alice.createGroup("across");
      alice.addUsers(g, List.of("bob@example.org", "charlie@example.com"));
      for (MlsClient c : List.of(charlie, bob, bobLaptop)) {
        joined(c, g);
      }
      System.out.println("     members: " + alice.members(g));

      say("They talk. Bob's messages go through example.org to the hub; the hub sends each message to example.org once,"
          + " for both of Bob's devices.");
      bob.send(g, "Hello from example.org");
      alice.send(g, "Hi Bob, hi Charlie");
      receive(alice, 1);
      receive(charlie, 2);
      receive(bob, 1);
      receive(bobLaptop, 2);

      say("example.org is killed (SIGKILL) in the middle of the conversation. Alice and Charlie go on, and Charlie updates"
          + " his keys; the hub keeps what example.org is owed.");
      org.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      alice.send(g, "Bob, are you there?");
      charlie.send(g, "His provider seems down");
      charlie.updateKeys(g);
      receive(alice, 1);
      receive(charlie, 1);

      say("example.org restarts (same data folder) and tells the hub it is up; everything it missed arrives, in order.");
      org = startOrg(orgData, orgPort, orgConfig);
      receive(bob, 2);
      receive(bobLaptop, 2);
      bobLaptop.send(g, "Back, and I missed nothing");
      receive(alice, 1);
      receive(charlie, 1);
      receive(bob, 1);
      for (Federation.PeerTraffic t : com.federation().traffic()) {
        System.out.println("     example.com -> " + t.peer() + ": " + t.delivered() + " log entries delivered, " + t.failures()
            + " failed attempts (retried with backoff)");
      }

      say("Every member holds the same epoch authenticator:");
      boolean same = DemoCommand.agree(List.of(alice, charlie, bob, bobLaptop), g, 26);
      System.out.println(same ? "Demo complete: all members, on two providers, agree." : "MISMATCH: members disagree on the epoch authenticator.");
      return same ? 0 : 1;
    } finally {
      org.destroyForcibly();
      com.close();
    }
  }
}
