package org.jmls.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jmls.client.ClientStore;
import org.jmls.client.MlsClient;
import picocli.CommandLine.Option;

/** Options every person-facing command shares, and how each opens this device's client. */
final class ClientOptions {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Where 'jmls server' listens by default. */
  static final String DEFAULT_URL = "http://127.0.0.1:8420";

  @Option(names = "--url", defaultValue = DEFAULT_URL, description = "Base URL of the jmls servers (default ${DEFAULT-VALUE}).")
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

  /** Opens (creating it if needed) the store file {@code file} with this command's key. */
  ClientStore open(Path file) throws Exception {
    if (keyFile != null) {
      return ClientStore.openWithKey(file, Files.readAllBytes(keyFile));
    }
    String pass = System.getenv("JMLS_PASSPHRASE");
    if (pass == null || pass.isEmpty()) {
      throw new CommandException("set JMLS_PASSPHRASE (or pass --key-file) to open the encrypted store " + store);
    }
    return ClientStore.open(file, pass.toCharArray());
  }

  /** Opens the existing store; a command other than register never creates one. */
  ClientStore openExisting() throws Exception {
    if (!Files.exists(store)) {
      throw new CommandException("no device store at " + store + ": register this device first ('jmls register'), or name its store"
          + " with --store");
    }
    return open(store);
  }

  void print(String human, Map<String, Object> machine) throws Exception {
    System.out.println(json ? JSON.writeValueAsString(machine) : human);
  }

  /** Runs with this device's restored client. */
  interface Body {
    int run(MlsClient client, ClientStore store) throws Exception;
  }

  /** Runs {@code body} with the restored client; turns a failure into one sentence on stderr and exit status 1. */
  int withClient(Body body) {
    try (ClientStore s = openExisting()) {
      MlsClient client = MlsClient.restore(url, s);
      if (showProgress()) {
        client.onProgress(step -> System.err.println("  .. " + step));
        client.onWire((what, bytes, epoch) -> System.err.println("  .. sent " + what + ": " + bytes + " bytes, now at epoch " + epoch));
      }
      return body.run(client, s);
    } catch (Exception e) {
      return fail(e);
    }
  }

  /** Prints {@code e} as one sentence on stderr; returns the exit status 1. */
  int fail(Exception e) {
    System.err.println("error: " + Failures.describe(e, url));
    return 1;
  }

  /** A refusal by the command itself, already worded for the user. */
  static final class CommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CommandException(String message) {
      super(message);
    }
  }
}
