package org.jmls.service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.BooleanSupplier;

/**
 * A named lease that one process at a time holds among those sharing one PostgreSQL database: a
 * session-level advisory lock ({@code pg_advisory_lock}) held on a connection of its own. The others
 * wait for it inside PostgreSQL and one of them has it as soon as the holder's session ends, whether
 * the holder closed it, its process died (the server sees the socket close) or its connection broke:
 * no heartbeat table, no expiry to tune.
 *
 * <p>A lease says who should do some work, not who may: a holder whose connection broke keeps
 * working until its next {@link #held} check (at most {@value #PROBE_MILLIS} ms later), while another
 * process may already hold the lease. Work guarded by a lease must therefore be safe to do twice
 * (delivery that the receiver deduplicates, for example).
 */
public final class Lease implements AutoCloseable {
  /** How often {@link #held} asks the database whether the lease's connection still stands. */
  static final long PROBE_MILLIS = 5_000;
  /** How long one wait for the lock lasts inside PostgreSQL before {@link #take} checks whether to go on waiting. */
  static final String WAIT = "2s";

  private final Connection connection;
  private final String name;
  private volatile boolean held = true;
  private long probed = System.currentTimeMillis();

  private Lease(Connection connection, String name) {
    this.connection = connection;
    this.name = name;
  }

  /**
   * Waits until this process holds the lease {@code name} on {@code db} (PostgreSQL), for as long as
   * {@code keepWaiting} says; null if it stopped saying so first. Throws if the database cannot be
   * reached.
   */
  public static Lease take(Database db, String name, BooleanSupplier keepWaiting) throws SQLException {
    Connection c = db.dedicatedConnection();
    try {
      c.setAutoCommit(true);
      try (Statement st = c.createStatement()) {
        st.execute("SET lock_timeout = '" + WAIT + "'");
      }
      try (PreparedStatement q = c.prepareStatement("SELECT pg_advisory_lock(?)")) {
        q.setLong(1, key(name));
        while (keepWaiting.getAsBoolean()) {
          try {
            q.execute();
            return new Lease(c, name);
          } catch (SQLException e) {
            if (!"55P03".equals(e.getSQLState())) { // lock_not_available: another process holds it still
              throw e;
            }
          }
        }
      }
    } catch (SQLException | RuntimeException e) {
      close(c);
      throw e;
    }
    close(c);
    return null;
  }

  /** The advisory lock key of {@code name}: the first 8 bytes of its SHA-256 (names are namespaced by a prefix). */
  static long key(String name) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(("jmls.lease:" + name).getBytes(StandardCharsets.UTF_8));
      long k = 0;
      for (int i = 0; i < 8; i++) {
        k = (k << 8) | (h[i] & 0xff);
      }
      return k;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The session that holds the lease (tests). */
  Connection connection() {
    return connection;
  }

  public String name() {
    return name;
  }

  /**
   * Whether this process still holds the lease: false once closed, or once its connection failed a
   * probe (made at most every {@value #PROBE_MILLIS} ms, on the caller's thread).
   */
  public boolean held() {
    return held(PROBE_MILLIS);
  }

  /** As {@link #held()}, probing when the last probe is {@code probeEvery} ms old or more. */
  boolean held(long probeEvery) {
    if (!held) {
      return false;
    }
    long now = System.currentTimeMillis();
    if (now - probed >= probeEvery) {
      probed = now;
      try (Statement st = connection.createStatement()) {
        st.execute("SELECT 1");
      } catch (SQLException e) {
        close();
      }
    }
    return held;
  }

  /** Gives the lease up (its session ends, and a waiting process takes it). */
  @Override
  public void close() {
    held = false;
    close(connection);
  }

  private static void close(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // the session ends either way
    }
  }
}
