package org.jmls.service;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/** Fresh databases for storage tests: SQLite in a temp folder, or a new database in one embedded PostgreSQL. */
public final class Databases {
  private static EmbeddedPostgres postgres;
  private static final AtomicInteger counter = new AtomicInteger();

  private Databases() {}

  public static synchronized EmbeddedPostgres postgres() throws Exception {
    if (postgres == null) {
      postgres = EmbeddedPostgres.builder().start();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          postgres.close();
        } catch (Exception ignored) {
          // the JVM is exiting
        }
      }));
    }
    return postgres;
  }

  /** A fresh database ("sqlite" or "postgres") migrated with the scripts under {@code migrations}, e.g. {@code db/ds}. */
  public static Database freshWith(String kind, String migrations) throws Exception {
    if (kind.equals("sqlite")) {
      return Database.sqlite(Files.createTempDirectory("jmls-store"), "store", migrations);
    }
    EmbeddedPostgres pg = postgres();
    String name = "t" + counter.incrementAndGet();
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return Database.postgres(pg.getJdbcUrl("postgres", name), "postgres", "postgres", migrations);
  }
}
