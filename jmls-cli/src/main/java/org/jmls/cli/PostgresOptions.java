package org.jmls.cli;

import picocli.CommandLine.Option;

/** Where a server's PostgreSQL is ({@code jmls server}, {@code jmls cluster}); without {@code --postgres}, the command's default store. */
final class PostgresOptions {
  @Option(names = "--postgres", description = "JDBC URL of a PostgreSQL database (jdbc:postgresql://HOST/DB).")
  String url;

  @Option(names = "--postgres-user", defaultValue = "postgres", description = "PostgreSQL user (default ${DEFAULT-VALUE}).")
  String user;

  @Option(names = "--postgres-password", defaultValue = "", description = "PostgreSQL password.")
  String password;
}
