package org.jmls.service;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The JDBC database of a server: SQLite in a data folder (default, zero setup) or PostgreSQL
 * (several server processes may share it). Schema migrations run on open. Work runs in
 * transactions through {@link #transaction}, which retries transient conflicts (SQLite busy,
 * PostgreSQL serialization failures) a bounded number of times; a failed transaction writes
 * nothing.
 */
public final class Database implements AutoCloseable {
  /** Which SQL engine; the schema is written to run unchanged on both. */
  public enum Dialect { SQLITE, POSTGRESQL }

  /** Work inside one transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final DataSource dataSource;
  private final Dialect dialect;
  /** Whether the pool hands connections out at READ COMMITTED whatever the server's default. */
  private boolean pooledReadCommitted;
  private final Runnable closer;
  /** Opens a connection outside the pool, kept open for long (PostgreSQL LISTEN); null for SQLite. */
  private Work<Connection> dedicated;
  /** Where {@link #read} runs: SQLite's own reader connections, or the one pool. */
  private DataSource readers;
  private Runnable closeReaders = () -> {};

  private Database(DataSource dataSource, Dialect dialect, Runnable closer, String migrations) {
    this.dataSource = dataSource;
    this.readers = null;
    this.dialect = dialect;
    this.closer = closer;
    var flyway = Flyway.configure().dataSource(dataSource).locations("classpath:" + migrations);
    if (dialect == Dialect.POSTGRESQL) {
      // Each service in its own schema, so the AS and the DS can share one PostgreSQL database.
      flyway.schemas(schemaFor(migrations));
    }
    flyway.load().migrate();
  }

  /** The PostgreSQL schema of a service: {@code db/ds} -> {@code jmls_ds}. */
  static String schemaFor(String migrations) {
    return "jmls_" + migrations.substring(migrations.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9_]", "_");
  }

  /**
   * SQLite in {@code dir} (created if missing), file {@code name}.db, WAL journal: committed
   * transactions survive a killed process. One connection, so writers never contend.
   */
  public static Database sqlite(Path dir, String name, String migrations) throws IOException {
    Files.createDirectories(dir);
    HikariConfig cfg = new HikariConfig();
    cfg.setJdbcUrl("jdbc:sqlite:" + dir.resolve(name + ".db"));
    cfg.setMaximumPoolSize(1);
    cfg.setConnectionInitSql("PRAGMA foreign_keys = ON");
    cfg.addDataSourceProperty("journal_mode", "WAL");
    cfg.addDataSourceProperty("synchronous", "NORMAL");
    cfg.addDataSourceProperty("busy_timeout", "10000");
    cfg.setPoolName("jmls-sqlite-" + name);
    HikariDataSource ds = new HikariDataSource(cfg);
    Database db = new Database(ds, Dialect.SQLITE, ds::close, migrations);
    // Readers of their own: in WAL mode a read sees the last commit without waiting for the writer's connection.
    HikariConfig rc = new HikariConfig();
    rc.setJdbcUrl(cfg.getJdbcUrl());
    rc.setMaximumPoolSize(2);
    rc.addDataSourceProperty("journal_mode", "WAL");
    rc.addDataSourceProperty("busy_timeout", "10000");
    rc.setPoolName("jmls-sqlite-" + name + "-read");
    HikariDataSource readers = new HikariDataSource(rc);
    db.readers = readers;
    db.closeReaders = readers::close;
    return db;
  }

  /** PostgreSQL at {@code jdbcUrl}. */
  public static Database postgres(String jdbcUrl, String user, String password, String migrations) {
    HikariConfig cfg = new HikariConfig();
    cfg.setJdbcUrl(jdbcUrl);
    cfg.setUsername(user);
    cfg.setPassword(password);
    cfg.setMaximumPoolSize(16);
    // Handed out at READ COMMITTED (the pool puts back whatever a transaction changed), so the
    // transactions that want it need not set it: two round trips fewer for each append.
    cfg.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    cfg.setSchema(schemaFor(migrations));
    cfg.setPoolName("jmls-postgres-" + schemaFor(migrations));
    HikariDataSource ds = new HikariDataSource(cfg);
    Database db = new Database(ds, Dialect.POSTGRESQL, ds::close, migrations);
    db.pooledReadCommitted = true;
    db.dedicated = ignored -> {
      Connection c = java.sql.DriverManager.getConnection(jdbcUrl, user, password);
      c.setSchema(schemaFor(migrations)); // the pool's schema: a dedicated connection reads the same tables
      return c;
    };
    return db;
  }

  /** A database over an existing data source (tests with embedded PostgreSQL). */
  public static Database of(DataSource ds, Dialect dialect, String migrations) {
    Database db = new Database(ds, dialect, () -> {}, migrations);
    db.dedicated = dialect == Dialect.POSTGRESQL ? ignored -> ds.getConnection() : null;
    return db;
  }

  /**
   * A PostgreSQL connection of its own, outside the pool, for work that holds a connection for
   * long ({@code LISTEN}); the caller closes it. Not available on SQLite (one process only).
   */
  public Connection dedicatedConnection() throws SQLException {
    if (dedicated == null) {
      throw new SQLException("a dedicated connection needs PostgreSQL");
    }
    return dedicated.run(null);
  }

  public Dialect dialect() {
    return dialect;
  }

  /** Runs {@code work} in a transaction, retrying transient conflicts up to 20 times. */
  public <T> T transaction(Work<T> work) throws SQLException {
    return transaction(Mode.SERIALIZABLE, null, work);
  }

  /**
   * Runs {@code work} in a transaction that first takes the row lock {@code lockQuery} selects
   * ({@code SELECT ... FOR UPDATE}), so such transactions run one at a time across every process
   * sharing the database; on PostgreSQL at READ COMMITTED, so one waiting for the lock reads what
   * the one before it committed instead of failing to serialize (and being retried after a sleep,
   * which makes writers from several nodes slower than one). Only for work whose conflicting
   * writers all take the same lock. On SQLite (one writer connection) the lock is not needed.
   */
  public <T> T lockedTransaction(String lockQuery, Work<T> work) throws SQLException {
    return transaction(Mode.READ_COMMITTED, lockQuery, work);
  }

  /**
   * Runs {@code work} in a transaction at READ COMMITTED on PostgreSQL (SQLite has one writer), for
   * work that takes the row locks it needs itself; retried whole on a transient failure.
   */
  public <T> T readCommitted(Work<T> work) throws SQLException {
    return transaction(Mode.READ_COMMITTED, null, work);
  }

  /**
   * Runs {@code work} on a connection of its own in autocommit mode (on PostgreSQL at READ COMMITTED):
   * each statement is a transaction of its own, committed as it completes, in the same round trip.
   * For work whose writing is one statement that takes its locks itself, so no lock is held while
   * the client thinks. Retried as a whole on a transient failure, so the work must be safe to repeat
   * after a failed statement (which changed nothing).
   */
  public <T> T statements(Work<T> work) throws SQLException {
    return transaction(Mode.AUTOCOMMIT, null, work);
  }

  private enum Mode { SERIALIZABLE, READ_COMMITTED, AUTOCOMMIT }

  private <T> T transaction(Mode mode, String lockQuery, Work<T> work) throws SQLException {
    SQLException last = null;
    for (int attempt = 0; attempt < 20; attempt++) {
      try (Connection c = dataSource.getConnection()) {
        if (mode == Mode.AUTOCOMMIT) {
          if (dialect == Dialect.POSTGRESQL && !pooledReadCommitted) {
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
          }
          c.setAutoCommit(true);
          return work.run(c);
        }
        c.setAutoCommit(false);
        if (dialect == Dialect.POSTGRESQL) {
          if (mode == Mode.SERIALIZABLE) {
            c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
          } else if (!pooledReadCommitted) {
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
          }
        }
        try {
          if (lockQuery != null && dialect == Dialect.POSTGRESQL) {
            try (java.sql.Statement st = c.createStatement()) {
              st.execute(lockQuery);
            }
          }
          T out = work.run(c);
          c.commit();
          return out;
        } catch (SQLException | RuntimeException e) {
          c.rollback();
          throw e;
        }
      } catch (SQLException e) {
        if (!transient_(e)) {
          throw e;
        }
        last = e;
        try {
          Thread.sleep(1L + (long) (Math.random() * (5 << Math.min(attempt, 5))));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
    throw last;
  }

  /**
   * Runs read-only {@code work}: with SQLite on a reader connection of its own (it sees the last
   * committed state and does not wait for the writer's one connection), otherwise as {@link
   * #transaction}. Work that writes must use {@link #transaction}.
   */
  public <T> T read(Work<T> work) throws SQLException {
    if (readers == null) {
      return transaction(work);
    }
    try (Connection c = readers.getConnection()) {
      c.setAutoCommit(false);
      try {
        return work.run(c);
      } finally {
        c.rollback();
      }
    }
  }

  private static final java.util.concurrent.ExecutorService PROBES = java.util.concurrent.Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "jmls-db-probe");
    t.setDaemon(true);
    return t;
  });

  /** Whether the database answers a trivial query within {@code millis} (for {@code /health}). */
  public boolean answers(long millis) {
    java.util.concurrent.Future<Boolean> f = PROBES.submit(() -> read(c -> {
      try (java.sql.Statement st = c.createStatement()) {
        st.execute("SELECT 1");
      }
      return true;
    }));
    try {
      return f.get(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      f.cancel(true);
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private boolean transient_(SQLException e) {
    String state = e.getSQLState();
    if (dialect == Dialect.POSTGRESQL) {
      return "40001".equals(state) || "40P01".equals(state);
    }
    String m = String.valueOf(e.getMessage());
    return m.contains("SQLITE_BUSY") || m.contains("database is locked");
  }

  @Override
  public void close() {
    closeReaders.run();
    closer.run();
  }
}
