package org.jmls.cli;

import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.LogManager;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The command's one logging backend: SLF4J's simple logger, which every library reaches (Flyway,
 * Jetty and Javalin through SLF4J; the PostgreSQL driver and gRPC through java.util.logging, routed
 * here). Commands print what the user asked for on stdout; library messages appear on stderr at WARN
 * and above, at INFO with {@code --verbose}, or go to the file named by {@code --log-file}.
 */
final class Logging {
  private Logging() {}

  private static final String LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";
  private static final String FILE = "org.slf4j.simpleLogger.logFile";

  /** The defaults, before the command line is read: WARN on stderr, unless set with -D. */
  static void defaults() {
    setIfAbsent(LEVEL, "warn"); // also jmls-server's simplelogger.properties; set here so no resource can change it
    LogManager.getLogManager().reset();
    SLF4JBridgeHandler.install();
    julLevel(Level.WARNING);
  }

  /** {@code --verbose}: library messages from INFO up. Must run before the first logger is made. */
  static void verbose() {
    System.setProperty(LEVEL, "info");
    julLevel(Level.INFO);
  }

  /** {@code --log-file}: library messages go to {@code file} instead of stderr. */
  static void toFile(Path file) {
    System.setProperty(FILE, file.toAbsolutePath().toString());
  }

  private static void julLevel(Level level) {
    java.util.logging.Logger.getLogger("").setLevel(level);
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
