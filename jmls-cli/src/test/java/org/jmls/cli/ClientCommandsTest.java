package org.jmls.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.jmls.server.JmlsServer;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The person-facing commands against a real server: register, group, send, read, members. */
class ClientCommandsTest {
  private String run(String... args) {
    PrintStream old = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrintStream p = new PrintStream(out, true, StandardCharsets.UTF_8);
      System.setOut(p);
      System.setErr(p);
      int code = new CommandLine(new Main()).execute(args);
      return code + "|" + out.toString(StandardCharsets.UTF_8);
    } finally {
      System.setOut(old);
      System.setErr(oldErr);
    }
  }

  @Test
  void registerCreateAddSendRead_throughRealServers() throws Exception {
    Path dir = Files.createTempDirectory("jmls-cli");
    try (JmlsServer s = JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.BOTH, dir.resolve("srv"), "127.0.0.1", 0, null, null, null,
        "adm", false, 86400))) {
      String url = "http://127.0.0.1:" + s.port();
      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      Path keyFile = Files.write(dir.resolve("key"), key);
      String[] alice = {"--url", url, "--store", dir.resolve("alice.db").toString(), "--key-file", keyFile.toString()};
      String[] bob = {"--url", url, "--store", dir.resolve("bob.db").toString(), "--key-file", keyFile.toString()};
      assertTrue(run(concat(new String[] {"register", "--user", "alice@example.com", "--device", "phone", "--admin-token", "adm"}, alice))
          .startsWith("0|registered alice@example.com/phone"));
      assertTrue(run(concat(new String[] {"register", "--user", "bob@example.com", "--device", "laptop", "--admin-token", "adm"}, bob))
          .startsWith("0|"));
      assertTrue(run(concat(new String[] {"group", "create", "friends"}, alice)).startsWith("0|created group friends"));
      assertTrue(run(concat(new String[] {"group", "add", "friends", "bob@example.com"}, alice)).startsWith("0|added bob@example.com"));
      assertTrue(run(concat(new String[] {"read"}, bob)).startsWith("0|"));
      String members = run(concat(new String[] {"members", "friends"}, alice));
      assertTrue(members.contains("bob@example.com/laptop"), members);
      assertTrue(run(concat(new String[] {"send", "friends", "hello bob"}, alice)).startsWith("0|sent"));
      String read = run(concat(new String[] {"read", "--json"}, bob));
      assertTrue(read.contains("\"text\":\"hello bob\"") && read.contains("\"device\":\"alice@example.com/phone\""), read);
      // watch: live over the DS WebSocket. The safety re-read is every 30 s, so within this 8 s
      // window the message can only be shown because a wake-up arrived.
      Thread sender = new Thread(() -> {
        try {
          Thread.sleep(2500);
          new CommandLine(new Main()).execute(concat(new String[] {"send", "friends", "live one"}, alice));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      sender.start();
      String watched = run(concat(new String[] {"watch", "--seconds", "8"}, bob));
      sender.join();
      assertTrue(watched.contains("] alice@example.com/phone: live one"), watched);
      assertTrue(!watched.contains("live updates unavailable"), watched);
      // A group with encrypted handshakes: same commands, the DS only sees PrivateMessages.
      assertTrue(run(concat(new String[] {"group", "create", "quiet", "--encrypted-handshakes"}, alice)).startsWith("0|created group quiet"));
      String adding = run(concat(new String[] {"group", "add", "quiet", "bob@example.com", "--progress"}, alice));
      assertTrue(adding.startsWith("0|  .. claiming a KeyPackage for every device of bob@example.com")
          && adding.contains("  .. sent add bob@example.com: commit: ") && adding.contains("added bob@example.com"), adding);
      assertTrue(run(concat(new String[] {"send", "quiet", "psst"}, alice)).startsWith("0|sent"));
      String quiet = run(concat(new String[] {"read", "--json"}, bob));
      assertTrue(quiet.contains("\"text\":\"psst\""), quiet);
      assertTrue(run(concat(new String[] {"members", "quiet"}, alice)).contains("bob@example.com/laptop"));
      String missing = run(concat(new String[] {"send", "nosuchgroup", "x"}, alice));
      assertEquals("1|error: no group named 'nosuchgroup' on this device; create it or check 'jmls read'", missing.trim());
      String noKey = run("read", "--url", url, "--store", dir.resolve("bob.db").toString());
      assertTrue(noKey.startsWith("1|error: set JMLS_PASSPHRASE") || noKey.contains("JMLS_PASSPHRASE"), noKey);
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
