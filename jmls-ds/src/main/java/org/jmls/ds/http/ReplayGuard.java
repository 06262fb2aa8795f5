package org.jmls.ds.http;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.jmls.service.Database;

/**
 * Signed DS requests are single use. A signature covers method, path, timestamp, device and body,
 * so a replayed request carries the very same signature: the first use of each signature is recorded
 * (a hash of it, in {@code ds_seen_requests}) until its timestamp leaves the accepted window, after
 * which the timestamp check alone refuses it. The record lives in the database, so a request replayed
 * to another DS node on the same database is refused too; rows are pruned as they expire, so the table
 * holds at most the requests of one window (bounded by the per-device rate limit).
 */
final class ReplayGuard {
  private final Database db;
  private final Clock clock;
  private final AtomicLong uses = new AtomicLong();

  ReplayGuard(Database db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  /** Records a request whose signature verified; false when the same signed request was seen before. */
  boolean firstUse(byte[] signature, long timestampMillis) throws SQLException {
    byte[] key = hash(signature);
    long expires = timestampMillis + SignedRequest.SKEW_MILLIS;
    boolean first = db.transaction(c -> {
      try (PreparedStatement ins = c.prepareStatement(
          "INSERT INTO ds_seen_requests (request_hash, expires_at) VALUES (?, ?) ON CONFLICT (request_hash) DO NOTHING")) {
        ins.setBytes(1, key);
        ins.setLong(2, expires);
        return ins.executeUpdate() == 1;
      }
    });
    if (uses.incrementAndGet() % 1024 == 0) {
      prune();
    }
    return first;
  }

  /** Deletes the records whose window has passed. */
  int prune() throws SQLException {
    long now = clock.millis();
    return db.transaction(c -> {
      try (PreparedStatement del = c.prepareStatement("DELETE FROM ds_seen_requests WHERE expires_at < ?")) {
        del.setLong(1, now);
        return del.executeUpdate();
      }
    });
  }

  private static byte[] hash(byte[] signature) {
    try {
      return Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(signature), 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
