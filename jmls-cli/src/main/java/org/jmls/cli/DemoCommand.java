package org.jmls.cli;

import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.Callable;
import org.jmls.Bytes;
import org.jmls.client.MlsClient;
import org.jmls.crypto.CipherSuite;
import org.jmls.server.JmlsServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jmls demo}: the group formation of RFC 9750 §3 as a story, through a real AS and DS over
 * HTTP (embedded on loopback unless --url names running ones).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Plays the life of a group (RFC 9750 §3) through a real AS and DS, step by step.",
        "Alice, Bob and Charlie enrol and publish KeyPackages, Alice forms a group, everyone talks, Bob updates, Charlie leaves,",
        "Bob's second device joins, Alice recovers by external commit; the servers are embedded on loopback unless --url is given."})
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--url", description = "Base URL of running jmls servers (default: start embedded ones on loopback).")
  String url;

  @Option(names = "--admin-token", description = "Operator token of the servers given with --url.")
  String adminToken;

  @Option(names = "--suite", defaultValue = "1", converter = SuiteConverter.class, description = SuiteConverter.HELP)
  CipherSuite suite;

  @Option(names = "--federated", description = "A group across two providers (example.com and example.org, each with its own AS and DS;"
      + " example.org is killed and restarted mid-conversation).")
  boolean federated;

  private int step;

  private void say(String s) {
    System.out.println();
    System.out.println((++step) + ". " + s);
  }

  private static void wire(String who, String what, int bytes, long epoch) {
    System.out.printf("     %-10s -> %-38s %6d bytes   epoch %d%n", who, what, bytes, epoch);
  }

  private static String name(MlsClient c) {
    return c.user().substring(0, c.user().indexOf('@')) + (c.device().equals("phone") ? "" : "/" + c.device());
  }

  private static MlsClient client(String base, String user, String device, CipherSuite cs) {
    MlsClient c = new MlsClient(base, user, device, cs);
    c.onWire((what, bytes, epoch) -> wire(name(c), what, bytes, epoch));
    return c;
  }

  private static void show(MlsClient c, List<MlsClient.Received> got) {
    for (MlsClient.Received r : got) {
      System.out.printf("     %-10s <- %-26s \"%s\"%n", name(c), r.fromDevice(), r.text());
    }
  }

  @Override
  public Integer call() throws Exception {
    CipherSuite cs = suite;
    if (federated) {
      if (url != null) {
        System.err.println("error: --federated starts its own two providers; it does not take --url.");
        return 2;
      }
      return new FederatedDemo(cs).run();
    }
    JmlsServer embedded = null;
    String base = url;
    String token = adminToken;
    if (base == null) {
      embedded = JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.BOTH, Files.createTempDirectory("jmls-demo"), "127.0.0.1", 0,
          null, null, null, null, false, 86400));
      base = "http://127.0.0.1:" + embedded.port();
      token = embedded.adminToken();
      System.out.println("Started an Authentication Service and a Delivery Service on " + base + " (SQLite, temporary folder).");
    } else if (token == null) {
      System.err.println("error: with --url, pass the servers' operator token with --admin-token.");
      return 2;
    }
    System.out.println("Cipher suite " + cs.label() + (cs.hasPostQuantumSignatures() ? " (post-quantum KEM and signatures)." : cs.isPostQuantum() ? " (post-quantum KEM; classical signatures)." : "."));
    try {
      say("Alice, Bob and Charlie get credentials from the AS (their signature keys never leave their devices) and publish KeyPackages to the DS.");
      MlsClient alice = client(base, "alice@example.com", "phone", cs);
      MlsClient bob = client(base, "bob@example.com", "phone", cs);
      MlsClient charlie = client(base, "charlie@example.com", "phone", cs);
      for (MlsClient c : List.of(alice, bob, charlie)) {
        c.enrol(token, null, 3);
        System.out.println("     " + c.clientId() + ": X.509 credential issued, 3 one-time + 1 last-resort KeyPackages uploaded");
      }

      say("Alice creates a group whose policy (agreed in the group context) makes Alice and Bob admins, and adds Bob"
          + " (the DS hands out one of Bob's KeyPackages; Bob joins from the Welcome).");
      Bytes g = alice.createGroup("friends",
          org.jmls.client.GroupPolicy.defaults("alice@example.com").withAdmins(List.of("alice@example.com", "bob@example.com")));
      alice.addUser(g, "bob@example.com");
      bob.sync();
      System.out.println("     members: " + alice.members(g));
      System.out.println("     Bob's phone knows the group as \"" + bob.groupName(g) + "\" (its name is agreed in the group context too)");

      say("Alice adds Charlie.");
      alice.addUser(g, "charlie@example.com");
      bob.sync();
      charlie.sync();
      System.out.println("     members: " + alice.members(g));

      say("Everyone talks.");
      alice.send(g, "Hi both!");
      bob.send(g, "Hello from Bob");
      charlie.send(g, "Charlie here");
      show(alice, alice.sync());
      show(bob, bob.sync());
      show(charlie, charlie.sync());

      say("Bob updates his keys (a commit with a path: forward secrecy and post-compromise security).");
      bob.updateKeys(g);
      alice.sync();
      charlie.sync();

      say("Charlie leaves: he sends a SelfRemove proposal and Alice commits it.");
      charlie.leave(g);
      alice.sync();
      alice.commitPending(g);
      bob.sync();
      charlie.sync();
      System.out.println("     Charlie still in the group: " + charlie.inGroup(g) + "; members: " + alice.members(g));

      say("Bob's second device (his laptop) enrols, and Bob's phone adds it to the group.");
      MlsClient bobLaptop = client(base, "bob@example.com", "laptop", cs);
      bobLaptop.enrol(token, null, 2);
      bob.addUser(g, "bob@example.com");
      alice.sync();
      bobLaptop.sync();
      bobLaptop.send(g, "Bob, now on my laptop too");
      show(alice, alice.sync());
      show(bob, bob.sync());

      say("Alice loses her state, and rejoins by external commit, removing her old leaf (RFC 9750 §5.8).");
      alice.loseState();
      alice.sync();
      alice.recover(g);
      bob.sync();
      bobLaptop.sync();
      alice.send(g, "I'm back");
      show(bob, bob.sync());
      show(bobLaptop, bobLaptop.sync());
      System.out.println("     members: " + alice.members(g));

      say("Every member holds the same epoch authenticator:");
      boolean same = agree(List.of(alice, bob, bobLaptop), g, 24);
      System.out.println(same ? "Demo complete: all members agree." : "MISMATCH: members disagree on the epoch authenticator.");
      return same ? 0 : 1;
    } finally {
      if (embedded != null) {
        embedded.close();
      }
    }
  }

  /** Prints each member's epoch and epoch authenticator (ids padded to {@code width}); whether all equal the first's. */
  static boolean agree(List<MlsClient> members, Bytes g, int width) {
    Bytes expected = members.get(0).epochAuthenticator(g);
    boolean same = true;
    for (MlsClient c : members) {
      Bytes a = c.epochAuthenticator(g);
      same &= a.equals(expected);
      System.out.printf("     %-" + width + "s epoch %d  %s...%n", c.clientId(), c.epoch(g), a.hex().substring(0, 32));
    }
    System.out.println();
    return same;
  }
}
