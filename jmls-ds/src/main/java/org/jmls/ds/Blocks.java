package org.jmls.ds;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Delivery numbers in blocks, on PostgreSQL (design and measurements: docs/cluster-append-order.md).
 * Each appending transaction takes a block number from the sequence {@code ds_block_seq}, which
 * takes no lock and does not order commits, claims it in {@code ds_blocks} ({@code done}) in the same
 * transaction, and numbers its entries {@code block × }{@value #SIZE}{@code  + i}. Numbers are
 * sparse; nothing reads meaning into the gaps, since cursors, acknowledgements and retention only
 * compare numbers.
 *
 * <p>Transactions of several nodes commit in any order, so a read by number is a prefix of the log
 * only below a <em>horizon</em>: a number below which every block is settled, either claimed by a
 * committed transaction ({@code done}) or given up ({@code void}). A block whose appender died or
 * rolled back never gets its claim; a node that waited too long for it settles it with {@link
 * #settle}, and the database decides: the void waits on the claim's unique index while the claim is
 * uncommitted, loses to a committed claim, and wins over an aborted one (an appender that then
 * claims a voided block fails, writes nothing, and takes another: {@link #claim}).
 *
 * <p>{@code ds_block_floor} is the lowest block that may be unsettled: every block below it was
 * settled, and its rows are pruned ({@link #raiseFloor}).
 */
final class Blocks {
  private Blocks() {}

  /** Numbers per block: the most entries one transaction appends. Equal to the migration's ({@code db.ds.V11__Blocks}). */
  static final long SIZE = 65_536;

  /** SQLSTATE of a serialization failure: {@link org.jmls.service.Database} retries the whole transaction. */
  private static final String RETRY = "40001";

  /** The block of number {@code seq}. */
  static long of(long seq) {
    return Math.floorDiv(seq, SIZE);
  }

  /** The first number of block {@code b}. */
  static long first(long b) {
    return b * SIZE;
  }

  /** The last number of block {@code b}. */
  static long last(long b) {
    return b * SIZE + SIZE - 1;
  }

  /**
   * Takes a block and claims it in the caller's transaction; returns its first number. Called after
   * the caller's row locks, so that of two writes to one group the one that waited has the later block.
   * A claim that finds its block voided fails as a serialization failure: the transaction is
   * retried whole, with another block.
   */
  static long claim(Connection c, int n) throws SQLException {
    if (n > SIZE) {
      throw new IllegalArgumentException(n + " entries do not fit in one block of " + SIZE);
    }
    try (PreparedStatement q = c.prepareStatement(
        "INSERT INTO ds_blocks (block, state) VALUES (nextval('ds_block_seq'), 'done') RETURNING block");
        ResultSet rs = q.executeQuery()) {
      rs.next();
      return first(rs.getLong(1));
    } catch (SQLException e) {
      throw voided(e);
    }
  }

  /** A claim's failure on a voided block, as a failure the transaction's runner retries; any other failure as it is. */
  static SQLException voided(SQLException e) {
    if ("23505".equals(e.getSQLState()) && String.valueOf(e.getMessage()).contains("ds_blocks")) {
      return new SQLException("the block was given up by a node that waited for it; taking another", RETRY, e);
    }
    return e;
  }

  /** The floor: every block below it is settled. */
  static long floor(Connection c) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT block FROM ds_block_floor WHERE name = 'delivery'");
        ResultSet rs = q.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("the block floor row is missing");
      }
      return rs.getLong(1);
    }
  }

  /**
   * The horizon as the database has it now: the last number below the lowest unsettled block that
   * was handed out, or below the next block to be handed out when all are settled.
   */
  static long horizon(Connection c) throws SQLException {
    long floor = floor(c);
    long handedOut;
    try (PreparedStatement q = c.prepareStatement("SELECT last_value, is_called FROM ds_block_seq"); ResultSet rs = q.executeQuery()) {
      rs.next();
      handedOut = rs.getBoolean(2) ? rs.getLong(1) : rs.getLong(1) - 1;
    }
    if (handedOut < floor) {
      return first(floor) - 1;
    }
    try (PreparedStatement q = c.prepareStatement("SELECT MIN(b) FROM generate_series(?::bigint, ?::bigint) AS b"
        + " WHERE NOT EXISTS (SELECT 1 FROM ds_blocks k WHERE k.block = b)")) {
      q.setLong(1, floor);
      q.setLong(2, handedOut);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        long unsettled = rs.getLong(1);
        return first(rs.wasNull() ? handedOut + 1 : unsettled) - 1;
      }
    }
  }

  /**
   * The highest number of a claimed block, for one node alone on the database: its appends run one
   * at a time, so every block below a claimed one is settled or abandoned for good.
   */
  static long lastClaimed(Connection c) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT MAX(block) FROM ds_blocks"); ResultSet rs = q.executeQuery()) {
      rs.next();
      long max = rs.getLong(1);
      return rs.wasNull() ? first(floor(c)) - 1 : last(max);
    }
  }

  /**
   * Settles block {@code b} for a node that waited too long for it, in a transaction of {@code c}
   * (not in autocommit): true if it was claimed (its entries are to be read back), false if it is
   * void. Waits while its claim is uncommitted. A block below the floor was settled and may have
   * been pruned: it is read back, and a void block has no entries to read.
   */
  static boolean settle(Connection c, long b) throws SQLException {
    long floor;
    try (PreparedStatement q = c.prepareStatement("SELECT block FROM ds_block_floor WHERE name = 'delivery' FOR SHARE");
        ResultSet rs = q.executeQuery()) {
      rs.next();
      floor = rs.getLong(1);
    }
    if (b < floor) {
      return true;
    }
    try (PreparedStatement v = c.prepareStatement("INSERT INTO ds_blocks (block, state) VALUES (?, 'void') ON CONFLICT DO NOTHING")) {
      v.setLong(1, b);
      v.executeUpdate();
    }
    try (PreparedStatement q = c.prepareStatement("SELECT state FROM ds_blocks WHERE block = ?")) {
      q.setLong(1, b);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        return "done".equals(rs.getString(1));
      }
    }
  }

  /**
   * Moves the floor up to block {@code b} (every block below it settled, as below a node's horizon)
   * and prunes the rows below it. Taken after any {@link #settle} that read the old floor.
   */
  static void raiseFloor(Connection c, long b) throws SQLException {
    try (PreparedStatement u = c.prepareStatement("UPDATE ds_block_floor SET block = ? WHERE name = 'delivery' AND block < ?")) {
      u.setLong(1, b);
      u.setLong(2, b);
      if (u.executeUpdate() == 0) {
        return;
      }
    }
    try (PreparedStatement d = c.prepareStatement("DELETE FROM ds_blocks WHERE block < ?")) {
      d.setLong(1, b);
      d.executeUpdate();
    }
  }
}
