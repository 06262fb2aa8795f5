package org.jmls.cli;

import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jmls.as.AsClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jmls admin invite|accounts|revoke|audit}: the operator's calls to the AS, with the
 * operator token from {@code --admin-token}, {@code $JMLS_ADMIN_TOKEN} or the server's data folder.
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
    description = "Operator commands: invite users, list accounts and devices, revoke a device, read the audit log.",
    subcommands = {AdminCommands.Invite.class, AdminCommands.Accounts.class, AdminCommands.Revoke.class, AdminCommands.Audit.class})
final class AdminCommands implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  /** What every operator command needs: where the AS is and the operator token. */
  static final class Operator {
    @Option(names = "--url", defaultValue = ClientOptions.DEFAULT_URL, description = "Base URL of the jmls servers (default ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--admin-token", description = "The operator token (default: $JMLS_ADMIN_TOKEN, else DATA/admin-token).")
    String adminToken;

    @Option(names = "--data", defaultValue = "jmls-data", description = "The server's data folder, for its admin-token file"
        + " (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--json", description = "Machine-readable output.")
    boolean json;

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    String token() throws Exception {
      if (adminToken != null) {
        return adminToken;
      }
      String env = System.getenv("JMLS_ADMIN_TOKEN");
      if (env != null && !env.isBlank()) {
        return env.trim();
      }
      Path file = data.resolve("admin-token");
      if (Files.isReadable(file)) {
        return Files.readString(file, StandardCharsets.UTF_8).trim();
      }
      throw new ClientOptions.CommandException("no operator token: pass --admin-token, set JMLS_ADMIN_TOKEN, or run where the server's"
          + " data folder is (--data, now " + data + ", holds the admin-token file)");
    }

    /** Calls the AS; returns the JSON answer, or throws with the server's reason. */
    Map<?, ?> call(String method, String path, Object body) throws Exception {
      AsClient.Response r = new AsClient(url, HTTP).call(method, path, body, token());
      if (r.status() == 401 || r.status() == 403) {
        throw new ClientOptions.CommandException("the AS at " + url + " refused the operator token (" + r.message() + ")");
      }
      if (r.status() >= 300) {
        throw new ClientOptions.CommandException("the AS refused: " + r.message() + " (" + r.json().get("error") + ")");
      }
      return r.json();
    }

    void print(String human, Object machine) throws Exception {
      System.out.println(json ? ClientOptions.JSON.writeValueAsString(machine) : human);
    }

    int fail(Exception e) {
      System.err.println("error: " + Failures.describe(e, url));
      return 1;
    }
  }

  /** An operator command: its failures become one sentence and exit status 1. */
  abstract static class OperatorCommand implements Callable<Integer> {
    @Mixin Operator op;

    abstract int act() throws Exception;

    @Override
    public Integer call() {
      try {
        return act();
      } catch (Exception e) {
        return op.fail(e);
      }
    }
  }

  @Command(name = "invite", mixinStandardHelpOptions = true,
      description = "Make a one-time invite code for USER (the account is created if new) and show the command that uses it.")
  static final class Invite extends OperatorCommand {
    @Parameters(paramLabel = "USER", description = "The user id, user@domain.")
    String user;

    @Option(names = "--days", defaultValue = "7", description = "How long the code is valid, in days (default ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--quiet", description = "Print the code alone (for scripts: CODE=$(jmls admin invite USER --quiet)).")
    boolean quiet;

    @Override
    int act() throws Exception {
      Map<?, ?> r = op.call("POST", "/as/invites", Map.of("user", user, "seconds", days * 86400L));
      String code = (String) r.get("code");
      if (quiet && !op.json) {
        System.out.println(code);
        return 0;
      }
      op.print("invite code for " + user + " (valid " + days + " days, once): " + code + "\n"
          + "on the user's device:  jmls register --user " + user + " --device NAME --invite " + code
          + (op.url.equals(ClientOptions.DEFAULT_URL) ? "" : " --url " + op.url),
          Map.of("user", user, "code", code, "days", days));
      return 0;
    }
  }

  @Command(name = "accounts", mixinStandardHelpOptions = true, description = "List the accounts and their devices' certificates.")
  static final class Accounts extends OperatorCommand {
    @Override
    int act() throws Exception {
      Map<?, ?> r = op.call("GET", "/as/accounts", null);
      StringBuilder human = new StringBuilder();
      for (Object o : (List<?>) r.get("accounts")) {
        Map<?, ?> a = (Map<?, ?>) o;
        List<?> certs = (List<?>) a.get("certificates");
        human.append(a.get("user")).append(certs.isEmpty() ? "  (no device yet)" : "").append('\n');
        for (Object c : certs) {
          Map<?, ?> cert = (Map<?, ?>) c;
          Object revoked = cert.get("revokedAt");
          human.append(String.format("  %-16s serial %s  %s%n", cert.get("device"), cert.get("serial"), revoked != null
              ? "revoked " + Instant.ofEpochSecond(((Number) revoked).longValue())
              : "valid until " + Instant.ofEpochSecond(((Number) cert.get("notAfter")).longValue())));
        }
      }
      op.print(human.length() == 0 ? "no accounts yet ('jmls admin invite USER' makes one)" : human.toString().stripTrailing(), r);
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Revoke a device's credentials (USER/DEVICE) or one certificate (--serial), as for a lost device.")
  static final class Revoke extends OperatorCommand {
    @Parameters(arity = "0..1", paramLabel = "USER/DEVICE", description = "The device, as 'jmls admin accounts' shows it.")
    String device;

    @Option(names = "--serial", description = "A certificate serial (hex) instead of a device.")
    String serial;

    @Override
    int act() throws Exception {
      if ((device == null) == (serial == null)) {
        System.err.println("error: name either a device (USER/DEVICE) or a --serial");
        return 2;
      }
      try {
        Map<String, Object> body = new LinkedHashMap<>();
        if (device != null) {
          body.put("client", device);
        } else {
          body.put("serial", serial);
        }
        Map<?, ?> r = op.call("POST", "/as/revoke", body);
        List<?> serials = (List<?>) r.get("revoked");
        op.print("revoked " + (device != null ? device + ": " : "") + serials.size() + " certificate(s), serial "
            + serials.stream().map(String::valueOf).reduce((x, y) -> x + ", " + y).orElse(""), r);
        return 0;
      } catch (Exception e) {
        return op.fail(e);
      }
    }
  }

  @Command(name = "audit", mixinStandardHelpOptions = true, description = "Print the AS's audit log, oldest first.")
  static final class Audit extends OperatorCommand {
    @Option(names = "--last", defaultValue = "0", description = "Only the last N entries (0: all).")
    int last;

    @Override
    int act() throws Exception {
      List<?> entries = (List<?>) op.call("GET", "/as/audit", null).get("entries");
      List<?> shown = last > 0 && entries.size() > last ? entries.subList(entries.size() - last, entries.size()) : entries;
      StringBuilder human = new StringBuilder();
      for (Object o : shown) {
        String[] f = String.valueOf(o).split(" ", 5); // seq at actor action detail
        human.append(f.length == 5 ? String.format("%5s  %s  %-28s %-15s %s%n", f[0], Instant.ofEpochSecond(Long.parseLong(f[1])),
            f[2], f[3], f[4]) : o + "\n");
      }
      op.print(human.toString().stripTrailing(), Map.of("entries", shown));
      return 0;
    }
  }
}
