package org.jmls.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link Main} run as a separate process with this JVM's class path (for trials, {@code jmls
 * cluster}, and tests that kill a server, or run several): started, and returned once it listens; its output is then
 * drained so it never blocks on a full pipe.
 */
public final class ServerProcess {
  private ServerProcess() {}

  /**
   * Starts {@code Main DATA PORT ADMIN_TOKEN [JDBC_URL postgres postgres]} with {@code jvmOptions}
   * (for example {@code -Djmls.federation=FILE}); throws with what it printed if it does not start.
   */
  public static Process start(List<String> jvmOptions, Path data, int port, String adminToken, String jdbcUrl) throws IOException {
    return start(jvmOptions, data, port, adminToken, jdbcUrl, "postgres", "postgres");
  }

  /** As {@link #start(List, Path, int, String, String)}, with the PostgreSQL user and password. */
  public static Process start(List<String> jvmOptions, Path data, int port, String adminToken, String jdbcUrl, String user,
      String password) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), data.toString(), Integer.toString(port),
        adminToken));
    if (jdbcUrl != null) {
      cmd.addAll(List.of(jdbcUrl, user, password));
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
    StringBuilder said = new StringBuilder();
    String line;
    while ((line = out.readLine()) != null) {
      said.append(line).append('\n');
      if (line.startsWith("ready ")) {
        Thread drain = new Thread(() -> {
          try {
            while (out.readLine() != null) {
              // the server's own lines
            }
          } catch (IOException ended) {
            // the process ended
          }
        }, "server-process-output");
        drain.setDaemon(true);
        drain.start();
        return p;
      }
    }
    p.destroyForcibly();
    throw new IOException("the server process did not start: " + said);
  }
}
