package org.jmls.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jmls.Bytes;
import org.jmls.client.ClientStore;
import org.jmls.client.MlsClient;
import org.jmls.crypto.CipherSuite;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Person-facing commands over the SDK: register, group create/add/remove/leave, members, send, read, watch. */
final class ClientCommands {
  private ClientCommands() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Options every client command shares. */
  static final class Common {
    @Option(names = "--url", defaultValue = "http://127.0.0.1:8420", description = "Base URL of the jmls servers (default ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--store", defaultValue = "jmls-client.db", description = "This device's encrypted store (default ${DEFAULT-VALUE}).")
    Path store;

    @Option(names = "--key-file", description = "32-byte key file for the store (default: passphrase from $JMLS_PASSPHRASE).")
    Path keyFile;

    @Option(names = "--json", description = "Machine-readable output.")
    boolean json;

    @Option(names = "--progress", negatable = true, description = "Show the steps of long operations on stderr"
        + " (default: when stderr is a terminal and output is not --json).")
    Boolean progress;

    boolean showProgress() {
      return progress != null ? progress : !json && System.console() != null;
    }

    ClientStore open() throws Exception {
      if (keyFile != null) {
        return ClientStore.openWithKey(store, Files.readAllBytes(keyFile));
      }
      String pass = System.getenv("JMLS_PASSPHRASE");
      if (pass == null || pass.isEmpty()) {
        throw new IllegalArgumentException("set JMLS_PASSPHRASE (or pass --key-file) to open the encrypted store " + store);
      }
      return ClientStore.open(store, pass.toCharArray());
    }

    void print(String human, Map<String, Object> machine) throws Exception {
      System.out.println(json ? JSON.writeValueAsString(machine) : human);
    }
  }

  /** Runs {@code body} with the restored client; turns failures into one sentence on stderr. */
  interface Body {
    int run(MlsClient client, ClientStore store) throws Exception;
  }

  static int withClient(Common c, Body body) {
    try (ClientStore store = c.open()) {
      MlsClient client = MlsClient.restore(c.url, store);
      if (c.showProgress()) {
        client.onProgress(step -> System.err.println("  .. " + step));
        client.onWire((what, bytes, epoch) -> System.err.println("  .. sent " + what + ": " + bytes + " bytes, now at epoch " + epoch));
      }
      return body.run(client, store);
    } catch (Exception e) {
      System.err.println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return 1;
    }
  }

  static Bytes group(ClientStore store, String name) throws Exception {
    byte[] gid = store.get("alias/" + name);
    if (gid == null) {
      throw new IllegalArgumentException("no group named '" + name + "' on this device; create it or check 'jmls read'");
    }
    return Bytes.wrap(gid);
  }

  @Command(name = "register", mixinStandardHelpOptions = true,
      description = "Enrol this device with the AS (the signature key is made here) and register it with the DS.")
  static final class Register implements Callable<Integer> {
    @Mixin Common common;

    @Option(names = "--user", required = true, description = "Your user id, user@domain.")
    String user;

    @Option(names = "--device", required = true, description = "A name for this device.")
    String device;

    @Option(names = "--invite", description = "One-time invite code from the operator.")
    String invite;

    @Option(names = "--admin-token", description = "Operator token (instead of an invite code).")
    String adminToken;

    @Option(names = "--suite", defaultValue = "1", description = "Cipher suite 1-7 (default ${DEFAULT-VALUE}).")
    int suite;

    @Override
    public Integer call() {
      try (ClientStore store = common.open()) {
        MlsClient c = new MlsClient(common.url, user, device, CipherSuite.of(suite));
        c.enrol(adminToken, invite, 10);
        c.persistTo(store);
        common.print("registered " + c.clientId() + " (credential from the AS, 10 one-time + 1 last-resort KeyPackages published)",
            Map.of("client", c.clientId()));
        return 0;
      } catch (Exception e) {
        System.err.println("error: " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(name = "group", mixinStandardHelpOptions = true, description = "Create groups and change their membership.",
      subcommands = {Create.class, Add.class, Remove.class, Leave.class})
  static final class GroupCmd implements Runnable {
    @Override
    public void run() {
      new picocli.CommandLine(this).usage(System.out);
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a group named NAME on this device.")
  static final class Create implements Callable<Integer> {
    @Mixin Common common;

    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--encrypted-handshakes", description = "Send proposals and commits as PrivateMessage: the DS sees who is"
        + " in the group but not what changes (it trusts members' roster declarations instead of verifying commits).")
    boolean encryptedHandshakes;

    @Override
    public Integer call() {
      return withClient(common, (c, store) -> {
        Bytes gid = c.createGroup(name, org.jmls.client.GroupPolicy.defaults(c.user()).withEncryptedHandshakes(encryptedHandshakes));
        store.putAll(Map.of("alias/" + name, gid.toByteArray()));
        common.print("created group " + name + " (" + gid.hex() + ")", Map.of("group", name, "groupId", gid.hex()));
        return 0;
      });
    }
  }

  /** A membership change of USER in group NAME. */
  abstract static class GroupUserCommand implements Callable<Integer> {
    @Mixin Common common;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "USER")
    String user;

    /** Applies the change; returns the new epoch. */
    abstract long apply(MlsClient c, Bytes gid) throws Exception;

    /** "added" or "removed". */
    abstract String verb();

    @Override
    public Integer call() {
      return withClient(common, (c, store) -> {
        long epoch = apply(c, group(store, name));
        common.print(verb() + " " + user + (verb().equals("added") ? " to " : " from ") + name + " (epoch " + epoch + ")",
            Map.of("group", name, verb(), user, "epoch", epoch));
        return 0;
      });
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true, description = "Add every device of USER to group NAME.")
  static final class Add extends GroupUserCommand {
    @Override
    long apply(MlsClient c, Bytes gid) throws Exception {
      return c.addUser(gid, user);
    }

    @Override
    String verb() {
      return "added";
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove every device of USER from group NAME.")
  static final class Remove extends GroupUserCommand {
    @Override
    long apply(MlsClient c, Bytes gid) throws Exception {
      return c.removeUser(gid, user);
    }

    @Override
    String verb() {
      return "removed";
    }
  }

  @Command(name = "leave", mixinStandardHelpOptions = true, description = "Ask to leave group NAME (another member commits it).")
  static final class Leave implements Callable<Integer> {
    @Mixin Common common;

    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      return withClient(common, (c, store) -> {
        c.leave(group(store, name));
        common.print("asked to leave " + name + "; the next commit by another member removes this device", Map.of("group", name, "leaving", true));
        return 0;
      });
    }
  }

  @Command(name = "members", mixinStandardHelpOptions = true, description = "List the members (verified user and device) of group NAME.")
  static final class Members implements Callable<Integer> {
    @Mixin Common common;

    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      return withClient(common, (c, store) -> {
        List<String> m = c.members(group(store, name));
        common.print(String.join("\n", m), Map.of("group", name, "members", m));
        return 0;
      });
    }
  }

  @Command(name = "send", mixinStandardHelpOptions = true, description = "Send TEXT to group NAME.")
  static final class Send implements Callable<Integer> {
    @Mixin Common common;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "TEXT")
    String text;

    @Override
    public Integer call() {
      return withClient(common, (c, store) -> {
        c.send(group(store, name), text);
        common.print("sent to " + name, Map.of("group", name, "sent", true));
        return 0;
      });
    }
  }

  static int readOnce(Common common, MlsClient c, ClientStore store) throws Exception {
    List<MlsClient.Received> got = c.sync();
    Map<String, String> names = new LinkedHashMap<>();
    for (String alias : store.names("alias/")) {
      names.put(Bytes.wrap(store.get(alias)).hex(), alias.substring(6));
    }
    for (MlsClient.Received r : got) {
      String g = names.getOrDefault(r.groupId().hex(), r.groupId().hex());
      common.print("[" + g + "] " + r.fromDevice() + ": " + r.text(),
          Map.of("group", g, "user", r.fromUser(), "device", r.fromDevice(), "text", r.text()));
    }
    for (String problem : c.lastSyncProblems()) {
      System.err.println("skipped " + problem);
    }
    for (MlsClient.Gap gap : c.lastSyncGaps()) {
      System.err.println("missing " + gap.count() + " message(s) from " + gap.fromDevice() + " in "
          + names.getOrDefault(gap.groupId().hex(), gap.groupId().hex()) + " (epoch " + gap.epoch() + "): lost on the way, or still to come");
    }
    return got.size();
  }

  @Command(name = "read", mixinStandardHelpOptions = true, description = "Fetch and print new messages (joins groups you were added to).")
  static final class Read implements Callable<Integer> {
    @Mixin Common common;

    @Override
    public Integer call() {
      return withClient(common, (c, store) -> {
        if (readOnce(common, c, store) == 0 && !common.json) {
          System.out.println("no new messages");
        }
        return 0;
      });
    }
  }

  @Command(name = "watch", mixinStandardHelpOptions = true, description = "Print messages as they arrive (Ctrl-C to stop).")
  static final class Watch implements Callable<Integer> {
    @Mixin Common common;

    @Option(names = "--seconds", defaultValue = "0", description = "Stop after this many seconds (0: never).")
    long seconds;

    @Override
    public Integer call() {
      return withClient(common, (c, store) -> {
        long end = seconds == 0 ? Long.MAX_VALUE : System.currentTimeMillis() + seconds * 1000;
        java.util.concurrent.Semaphore wake = new java.util.concurrent.Semaphore(0);
        AutoCloseable socket = null;
        long idle = 30_000; // with the WebSocket open, a safety re-read every 30 s
        try {
          socket = c.wakeups(wake::release);
        } catch (Exception e) {
          idle = 1_000;
          System.err.println("live updates unavailable (" + e.getMessage() + "); checking every second instead");
        }
        try {
          while (System.currentTimeMillis() < end) {
            readOnce(common, c, store);
            long left = end - System.currentTimeMillis();
            if (wake.tryAcquire(Math.max(1, Math.min(idle, left)), java.util.concurrent.TimeUnit.MILLISECONDS)) {
              wake.drainPermits();
            }
          }
        } finally {
          if (socket != null) {
            socket.close();
          }
        }
        return 0;
      });
    }
  }
}
