package org.jmls.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jmls.client.ClientStore;
import org.jmls.client.MlsClient;
import org.jmls.crypto.CipherSuite;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jmls register}: enrols this device and makes its store. The store is written under a
 * temporary name beside the target and moved into place only when enrolment succeeded, so a refused
 * registration leaves no file behind; a store that already holds a device is never overwritten.
 */
@Command(name = "register", mixinStandardHelpOptions = true,
    description = "Enrol this device with the AS (its signature key is made here) and register it with the DS.")
final class RegisterCommand implements Callable<Integer> {
  @Mixin ClientOptions common;

  @Option(names = "--user", required = true, description = "Your user id, user@domain.")
  String user;

  @Option(names = "--device", required = true, description = "A name for this device.")
  String device;

  @Option(names = "--invite", description = "One-time invite code from the operator ('jmls admin invite').")
  String invite;

  @Option(names = "--admin-token", description = "Operator token (instead of an invite code).")
  String adminToken;

  @Option(names = "--suite", defaultValue = "1", converter = SuiteConverter.class, description = SuiteConverter.HELP)
  CipherSuite suite;

  @Override
  public Integer call() {
    CipherSuite cs = suite;
    Path target = common.store.toAbsolutePath();
    Path temp = null;
    try {
      if (Files.exists(target)) {
        try (ClientStore existing = common.open(target)) {
          String there = MlsClient.storedClientId(existing);
          if (there != null) {
            throw new ClientOptions.CommandException(target + " already holds the device " + there
                + "; give a new --store to register another device");
          }
        }
      }
      if (!Files.isDirectory(target.getParent())) {
        throw new ClientOptions.CommandException("the folder " + target.getParent() + " does not exist; create it or choose another --store");
      }
      temp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".registering");
      Files.delete(temp); // the store makes its own file
      MlsClient c = new MlsClient(common.url, user, device, cs);
      try (ClientStore store = common.open(temp)) {
        c.enrol(adminToken, invite, 10);
        c.persistTo(store);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      temp = null;
      common.print("registered " + c.clientId() + " (credential from the AS, 10 one-time + 1 last-resort KeyPackages published;"
          + " store " + common.store + ")", Map.of("client", c.clientId(), "store", common.store.toString()));
      return 0;
    } catch (Exception e) {
      return common.fail(e);
    } finally {
      removeQuietly(temp);
    }
  }

  /** Deletes a half-made store and the files SQLite keeps beside it. */
  private static void removeQuietly(Path file) {
    if (file == null) {
      return;
    }
    for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
      try {
        Files.deleteIfExists(file.resolveSibling(file.getFileName() + suffix));
      } catch (java.io.IOException ignored) {
        // best effort: nothing of the device is in a file that could not be deleted
      }
    }
  }
}
