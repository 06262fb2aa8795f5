package org.jmls.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jmls.server.JmlsServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The person-facing commands against a real AS and DS on loopback, as three people would use them:
 * Alice (one device), Bob (laptop and phone) and Charlie, each device with its own store. Every
 * member — joiners included — names groups by their agreed name or by id, sends, reads, lists
 * members, and changes membership where the group's policy lets them.
 */
class ClientCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private JmlsServer server;
  private String url;
  private Path keyFile;
  private final Capture out = new Capture();
  private final Capture err = new Capture();
  private PrintStream oldOut;
  private PrintStream oldErr;

  /** Output captured for the whole test; each {@link #run} returns what its command printed. */
  private static final class Capture extends ByteArrayOutputStream {
    synchronized String since(int mark) {
      return new String(buf, mark, count - mark, StandardCharsets.UTF_8);
    }

    synchronized boolean contains(String s) {
      return toString(StandardCharsets.UTF_8).contains(s);
    }

    /** Waits (bounded) until {@code s} has been printed; the watcher thread notifies on every write. */
    synchronized void await(String s, long millis) throws InterruptedException {
      long end = System.currentTimeMillis() + millis;
      while (!toString(StandardCharsets.UTF_8).contains(s) && System.currentTimeMillis() < end) {
        wait(Math.max(1, end - System.currentTimeMillis()));
      }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      super.write(b, off, len);
      notifyAll();
    }

    @Override
    public synchronized void write(int b) {
      super.write(b);
      notifyAll();
    }
  }

  /** One command's exit status, standard output and standard error. */
  private record Result(int code, String out, String err) {
    Result ok() {
      assertEquals(0, code, "exit status; stdout: " + out + " stderr: " + err);
      return this;
    }

    Result refused(String why) {
      assertEquals(1, code, "exit status; stdout: " + out + " stderr: " + err);
      assertTrue(err.contains(why), "stderr should say '" + why + "' but was: " + err);
      return this;
    }
  }

  @BeforeEach
  void start() throws Exception {
    server = JmlsServer.start(new JmlsServer.Config(JmlsServer.Role.BOTH, dir.resolve("srv"), "127.0.0.1", 0, null, null, null,
        "adm", false, 86400));
    url = "http://127.0.0.1:" + server.port();
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    keyFile = Files.write(dir.resolve("key"), key);
    oldOut = System.out;
    oldErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void stop() {
    System.setOut(oldOut);
    System.setErr(oldErr);
    server.close();
  }

  private Result run(String... args) {
    int o = out.size();
    int e = err.size();
    int code = Main.commandLine().execute(args);
    return new Result(code, out.since(o), err.since(e));
  }

  /** Runs a client command as the device whose store is {@code device}.db. */
  private Result as(String device, String... args) {
    return run(Stream.concat(Stream.of(args), Stream.of("--url", url, "--store", store(device).toString(), "--key-file",
        keyFile.toString())).toArray(String[]::new));
  }

  private Path store(String device) {
    return dir.resolve(device + ".db");
  }

  private String invite(String user) {
    Result r = run("admin", "invite", user, "--url", url, "--admin-token", "adm").ok();
    Matcher m = Pattern.compile("--invite ([0-9a-f]{32})").matcher(r.out());
    assertTrue(m.find(), r.out());
    return m.group(1);
  }

  private void register(String device, String user, String deviceName) {
    assertTrue(as(device, "register", "--user", user, "--device", deviceName, "--invite", invite(user)).ok().out()
        .startsWith("registered " + user + "/" + deviceName));
  }

  private static String groupId(Result created) {
    Matcher m = Pattern.compile("id ([0-9a-f]{32})").matcher(created.out());
    assertTrue(m.find(), created.out());
    return m.group(1);
  }

  private static Map<?, ?> json(String line) throws Exception {
    return JSON.readValue(line, Map.class);
  }

  @Test
  void threePeople_everyMemberUsesTheGroupByNameAndId() throws Exception {
    register("alice", "alice@example.com", "phone");
    register("bob-laptop", "bob@example.com", "laptop");
    register("bob-phone", "bob@example.com", "phone");
    register("charlie", "charlie@example.com", "phone");

    String friends = groupId(as("alice", "group", "create", "friends").ok());
    as("alice", "group", "create", "friends").refused("already in a group named 'friends'");
    assertEquals(1, as("alice", "groups", "--json").ok().out().lines().count());
    as("alice", "group", "add", "friends", "bob@example.com", "charlie@example.com").ok();

    // Joiners learn the group's agreed name from the Welcome.
    for (String joiner : List.of("bob-laptop", "bob-phone", "charlie")) {
      assertTrue(as(joiner, "read").ok().out().contains("joined group friends (id " + friends + ")"), joiner);
      assertTrue(as(joiner, "groups").ok().out().startsWith("friends"), joiner);
    }

    // Everyone sends: by name, by id, by the first hex digits of the id.
    as("alice", "send", "friends", "from alice").ok();
    as("bob-laptop", "send", "friends", "from bob's laptop").ok();
    as("bob-phone", "send", friends, "from bob's phone").ok();
    assertTrue(as("charlie", "send", friends.substring(0, 10), "from charlie").ok().out().startsWith("sent to friends"));
    Map<String, List<String>> seen = Map.of("alice", List.of("bob@example.com/laptop: from bob's laptop",
        "bob@example.com/phone: from bob's phone", "charlie@example.com/phone: from charlie"),
        "bob-laptop", List.of("alice@example.com/phone: from alice", "bob@example.com/phone: from bob's phone",
            "charlie@example.com/phone: from charlie"),
        "bob-phone", List.of("alice@example.com/phone: from alice", "bob@example.com/laptop: from bob's laptop",
            "charlie@example.com/phone: from charlie"),
        "charlie", List.of("alice@example.com/phone: from alice", "bob@example.com/laptop: from bob's laptop",
            "bob@example.com/phone: from bob's phone"));
    for (Map.Entry<String, List<String>> e : seen.entrySet()) {
      String read = as(e.getKey(), "read").ok().out();
      for (String line : e.getValue()) {
        assertTrue(read.contains("[friends] " + line), e.getKey() + " should read '" + line + "' in: " + read);
      }
      assertEquals(e.getValue().size(), read.lines().count(), e.getKey() + " reads exactly the others' messages: " + read);
    }

    // Members, listed by a joiner by name and by id, with the admin marked.
    String members = as("charlie", "members", "friends").ok().out();
    assertEquals(as("charlie", "members", friends).ok().out(), members);
    assertTrue(members.contains("alice@example.com/phone  (admin)") && members.contains("bob@example.com/laptop\n")
        && members.contains("bob@example.com/phone\n") && members.contains("charlie@example.com/phone  (this device)"), members);

    // The default policy: only Alice adds and removes. Bob's attempt is refused before anything is sent.
    register("dave", "dave@example.com", "phone");
    as("bob-phone", "group", "add", "friends", "dave@example.com").refused("policy.admin-only");
    as("bob-phone", "group", "remove", friends, "charlie@example.com").refused("policy.admin-only");
    as("bob-phone", "send", "friends", "still here").ok();
    assertTrue(as("alice", "read").ok().out().contains("[friends] bob@example.com/phone: still here"));
    assertEquals(4, as("alice", "members", "friends").ok().out().lines().count());

    // A group where every member is an admin: joiners add and remove, by name and by id.
    String club = groupId(as("alice", "group", "create", "club", "--all-admins").ok());
    as("alice", "group", "add", club, "bob@example.com").ok();
    as("bob-laptop", "read").ok();
    as("bob-phone", "read").ok();
    as("bob-laptop", "group", "add", "club", "charlie@example.com", "dave@example.com").ok();
    assertTrue(as("charlie", "read").ok().out().contains("joined group club"));
    assertTrue(as("dave", "read").ok().out().contains("joined group club"));
    as("charlie", "group", "remove", club, "dave@example.com").ok();
    assertTrue(as("dave", "read").ok().out().contains("removed from group club"));
    as("dave", "send", "club", "x").refused("no group named 'club'");
    as("bob-phone", "read").ok();
    assertFalse(as("bob-phone", "members", "club").ok().out().contains("dave"));
    // A device that is behind (Bob's phone has not read since Dave came back) catches up before it decides.
    as("bob-laptop", "group", "add", "club", "dave@example.com").ok();
    assertTrue(as("dave", "read").ok().out().contains("joined group club"));
    as("dave", "send", "club", "back again").ok();
    as("bob-phone", "group", "remove", club.substring(0, 10), "dave@example.com").ok();
    assertTrue(as("dave", "read").ok().out().contains("removed from group club"));
    // What Bob's phone received while catching up inside that command is shown by its next read.
    assertTrue(as("bob-phone", "read").ok().out().contains("[club] dave@example.com/phone: back again"));

    // A rename by a member who is not an admin reaches every member; the old name is gone everywhere.
    as("charlie", "read").ok();
    as("charlie", "group", "rename", "friends", "old friends").ok();
    for (String member : List.of("alice", "bob-laptop", "bob-phone")) {
      assertTrue(as(member, "read").ok().out().contains("friends is now called old friends\n"), member);
      as(member, "send", "friends", "x").refused("no group named 'friends'");
    }
    as("alice", "send", "old friends", "renamed").ok();
    assertTrue(as("charlie", "read").ok().out().contains("[old friends] alice@example.com/phone: renamed"));
    as("bob-phone", "group", "rename", "old friends", "club").refused("already in another group named 'club'");

    // Two groups of one name on one device: refused with both ids listed; the id still works.
    String bobs = groupId(as("bob-phone", "group", "create", "book club").ok());
    as("charlie", "group", "create", "book club").ok();
    as("charlie", "group", "add", "book club", "alice@example.com").ok();
    as("bob-phone", "group", "add", "book club", "alice@example.com").ok();
    as("alice", "read").ok();
    Result ambiguous = as("alice", "send", "book club", "which?").refused("'book club' could be 2 groups on this device");
    assertTrue(ambiguous.err().contains(bobs), ambiguous.err());
    as("alice", "send", bobs, "to bob's book club").ok();
    assertTrue(as("bob-phone", "read").ok().out().contains("[book club] alice@example.com/phone: to bob's book club"));
    assertTrue(as("alice", "groups").ok().out().contains("book club (" + bobs.substring(0, 8) + ")"));

    // Machine-readable output carries the id beside the name.
    Map<?, ?> sent = json(as("alice", "send", "old friends", "json", "--json").ok().out().trim());
    assertEquals(Map.of("group", "old friends", "groupId", friends, "sent", true), sent);
  }

  @Test
  void register_refused_leavesNothingBehind_andNeverOverwritesADevice() throws Exception {
    String code = invite("erin@example.com");
    as("erin", "register", "--user", "erin@example.com", "--device", "phone", "--invite", code).ok();
    long before;
    try (Stream<Path> files = Files.list(dir)) {
      before = files.count();
    }
    // The invite was used: refused, and no store for the second device appears (nor any temporary file).
    as("erin-2", "register", "--user", "erin@example.com", "--device", "tablet", "--invite", code).refused("invite");
    assertFalse(Files.exists(store("erin-2")));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(before, files.count());
    }
    // A store that holds a device is not overwritten.
    as("erin", "register", "--user", "erin@example.com", "--device", "other", "--invite", invite("erin@example.com"))
        .refused("already holds the device erin@example.com/phone");
    assertTrue(as("erin", "groups").ok().out().contains("no group yet"));
    // Commands other than register never create a store.
    as("nobody", "read").refused("no device store at");
    assertFalse(Files.exists(store("nobody")));
  }

  @Test
  void failures_areSaidInWords() throws Exception {
    register("alice", "alice@example.com", "phone");
    as("alice", "group", "create", "friends").ok();
    String down = "http://127.0.0.1:1";
    Result r = run("read", "--url", down, "--store", store("alice").toString(), "--key-file", keyFile.toString());
    assertEquals(1, r.code());
    assertEquals("error: cannot reach " + down + ": connection refused (is 'jmls server' running there?)", r.err().trim());
    r = run("register", "--user", "x@example.com", "--device", "d", "--invite", "00", "--url", down,
        "--store", store("x").toString(), "--key-file", keyFile.toString());
    assertEquals("error: cannot reach " + down + ": connection refused (is 'jmls server' running there?)", r.err().trim());
    assertFalse(Files.exists(store("x")));
    r = run("read", "--url", url, "--store", store("alice").toString(), "--key-file", dir.resolve("no-such-key").toString());
    assertEquals("error: no such file: " + dir.resolve("no-such-key"), r.err().trim());
    r = run("admin", "audit", "--url", url, "--admin-token", "wrong");
    assertTrue(r.err().startsWith("error: the AS at " + url + " refused the operator token"), r.err());
    as("alice", "send", "nosuch", "x").refused("no group named 'nosuch' or with that id on this device");
    as("alice", "group", "create", " padded").refused("cannot start or end with spaces");
  }

  @Test
  void operatorCommands_inviteAccountsRevokeAudit() throws Exception {
    Path data = dir.resolve("srv");
    Files.writeString(data.resolve("admin-token"), "adm\n"); // as 'jmls server' writes it when it generates the token
    Result inv = run("admin", "invite", "frank@example.com", "--url", url, "--data", data.toString()).ok();
    assertTrue(inv.out().startsWith("invite code for frank@example.com (valid 7 days, once): "), inv.out());
    run("admin", "invite", "frank@example.com", "--days", "0", "--url", url, "--admin-token", "adm").refused("as.invite-lifetime");
    register("frank", "frank@example.com", "phone");
    String accounts = run("admin", "accounts", "--url", url, "--admin-token", "adm").ok().out();
    assertTrue(accounts.contains("frank@example.com\n  phone"), accounts);
    assertTrue(accounts.contains("valid until"), accounts);
    Result revoked = run("admin", "revoke", "frank@example.com/phone", "--url", url, "--admin-token", "adm").ok();
    assertTrue(revoked.out().startsWith("revoked frank@example.com/phone: 1 certificate(s)"), revoked.out());
    assertTrue(run("admin", "accounts", "--url", url, "--admin-token", "adm").ok().out().contains("revoked 20"));
    run("admin", "revoke", "frank@example.com/phone", "--url", url, "--admin-token", "adm").refused("as.unknown-device");
    String audit = run("admin", "audit", "--url", url, "--admin-token", "adm").ok().out();
    List<String> actions = new ArrayList<>();
    for (String line : audit.split("\n")) {
      actions.add(line.trim().split("\\s+")[3]);
    }
    assertTrue(actions.containsAll(List.of("invite-created", "issued", "revoked")), audit);
    assertTrue(audit.contains("user=frank@example.com device=phone"), audit);
    // A revoked device is refused by the DS.
    as("frank", "group", "create", "x").refused("revoked");
  }

  @Test
  void watch_showsAMessageAsItArrives() throws Exception {
    register("alice", "alice@example.com", "phone");
    register("bob", "bob@example.com", "laptop");
    as("alice", "group", "create", "friends").ok();
    as("alice", "group", "add", "friends", "bob@example.com").ok();
    as("bob", "read").ok();
    Result[] watched = new Result[1];
    Thread watcher = new Thread(() -> watched[0] = as("bob", "watch", "--count", "1", "--seconds", "60"));
    watcher.start();
    err.await("watching for new messages (Ctrl-C to stop)", 30_000);
    assertTrue(err.contains("watching for new messages (Ctrl-C to stop)"), "the watch opened its live connection");
    long start = System.nanoTime();
    as("alice", "send", "friends", "live one").ok();
    watcher.join(60_000);
    assertTrue(watched[0].out().contains("[friends] alice@example.com/phone: live one"), watched[0].out());
    // Without the wake-up the watch would only see the message at its 30-second safety re-read.
    assertTrue(System.nanoTime() - start < 20_000_000_000L, "delivered by a wake-up, not by the periodic re-read");
  }

  @Test
  void encryptedHandshakes_sameCommands() throws Exception {
    register("alice", "alice@example.com", "phone");
    register("bob", "bob@example.com", "laptop");
    as("alice", "group", "create", "quiet", "--encrypted-handshakes").ok();
    Result adding = as("alice", "group", "add", "quiet", "bob@example.com", "--progress").ok();
    assertTrue(adding.err().startsWith("  .. claiming a KeyPackage for every device of bob@example.com")
        && adding.err().contains("  .. sent add bob@example.com: commit: "), adding.err());
    assertTrue(adding.out().startsWith("added bob@example.com to quiet"), adding.out());
    assertTrue(as("bob", "read").ok().out().contains("joined group quiet"));
    as("bob", "group", "rename", "quiet", "hush").ok();
    assertTrue(as("alice", "read").ok().out().contains("quiet is now called hush"));
    as("alice", "send", "hush", "psst").ok();
    Map<?, ?> got = json(as("bob", "read", "--json").ok().out().trim());
    assertEquals("psst", got.get("text"));
    assertEquals("hush", got.get("group"));
  }
}
