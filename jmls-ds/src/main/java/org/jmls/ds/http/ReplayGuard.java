package org.jmls.ds.http;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jmls.service.Database;

/**
 * Signed DS requests are single use. A signature covers method, path, timestamp, device and body,
 * so a replayed request carries the very same signature: the first use of each signature is recorded
 * (a hash of it) until its timestamp leaves the accepted window, after which the timestamp check
 * alone refuses it. Requests that change state are recorded in the database ({@code
 * ds_seen_requests}), so a replay sent to another DS node on the same database is refused too; rows
 * are pruned as they expire, so the table holds at most one window's requests (bounded by the
 * per-device rate limit). Reads are recorded in the node's memory, up to {@link #LOCAL_LIMIT}.
 */
public final class ReplayGuard {
  private final Database db;
  private final Clock clock;
  private final AtomicLong uses = new AtomicLong();

  public ReplayGuard(Database db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  /** Reads seen by this node: signature hash to expiry. */
  private final ConcurrentHashMap<String, Long> local = new ConcurrentHashMap<>();

  /** Most reads remembered in memory before expired ones are dropped; past it, reads are recorded in the database too. */
  static final int LOCAL_LIMIT = 200_000;

  /**
   * Records a request whose signature verified; false when the same signed request was seen
   * before. Requests that change state ({@code shared}) are recorded in the database, so every node
   * refuses their replay; reads are recorded in this node's memory (a replayed read changes nothing,
   * and recording each of the many reads in the database would cost a write per fetch).
   */
  public boolean firstUse(String signatureHeader, long timestampMillis, boolean shared) throws SQLException {
    byte[] key = hash(signatureHeader.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    long expires = timestampMillis + SignedRequest.SKEW_MILLIS;
    if (!shared && local.size() < LOCAL_LIMIT) {
      boolean first = local.putIfAbsent(java.util.HexFormat.of().formatHex(key), expires) == null;
      if (local.size() >= LOCAL_LIMIT / 2 && uses.incrementAndGet() % 1024 == 0) {
        long now = clock.millis();
        local.values().removeIf(e -> e < now);
      }
      return first;
    }
    Pending mine = new Pending(key, expires);
    pending.add(mine);
    // Group commit: whoever finds no write under way writes every record waiting, in one transaction;
    // the others wait for their verdict. Concurrent requests share a transaction instead of queueing
    // one each on the database.
    while (!mine.verdict.isDone()) {
      if (writing.compareAndSet(false, true)) {
        writeAll();
      } else {
        try {
          mine.verdict.get(5, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException stillWaiting) {
          // the writer under way usually writes this record too (writeAll), but stops after a few rounds: loop and write it
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SQLException("interrupted while recording a request", e);
        } catch (java.util.concurrent.ExecutionException e) {
          throw e.getCause() instanceof SQLException ? (SQLException) e.getCause() : new SQLException(e.getCause());
        }
      }
    }
    if (uses.incrementAndGet() % 1024 == 0) {
      prune();
    }
    try {
      return mine.verdict.getNow(false);
    } catch (java.util.concurrent.CompletionException e) {
      throw e.getCause() instanceof SQLException ? (SQLException) e.getCause() : new SQLException(e.getCause());
    }
  }

  /** A record waiting to be written, and the verdict its writer gives (true: first use). */
  private record Pending(byte[] key, long expires, java.util.concurrent.CompletableFuture<Boolean> verdict) {
    Pending(byte[] key, long expires) {
      this(key, expires, new java.util.concurrent.CompletableFuture<>());
    }
  }

  private final java.util.concurrent.ConcurrentLinkedQueue<Pending> pending = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean();

  /** Rounds a writer writes at most for records that came during its write, before it returns to its own request. */
  static final int EXTRA_ROUNDS = 3;

  /**
   * Writes what waits, then again (up to {@link #EXTRA_ROUNDS} times) while records arrived during
   * the write, so a record that came just after a batch was taken is written as soon as that batch
   * is, not when its waiter next looks. Bounded, so a steady stream of requests does not keep one
   * request's thread writing for the others.
   */
  private void writeAll() {
    int round = 0;
    do {
      try {
        writeWaiting();
      } finally {
        writing.set(false);
      }
    } while (round++ < EXTRA_ROUNDS && !pending.isEmpty() && writing.compareAndSet(false, true));
  }

  private void writeWaiting() {
    java.util.List<Pending> batch = new java.util.ArrayList<>();
    for (Pending p; batch.size() < 256 && (p = pending.poll()) != null; ) {
      batch.add(p);
    }
    if (batch.isEmpty()) {
      return;
    }
    try {
      boolean[] verdicts = db.transaction(c -> {
        boolean[] out = new boolean[batch.size()];
        try (PreparedStatement ins = c.prepareStatement(
            "INSERT INTO ds_seen_requests (request_hash, expires_at) VALUES (?, ?) ON CONFLICT (request_hash) DO NOTHING")) {
          for (int i = 0; i < batch.size(); i++) {
            ins.setBytes(1, batch.get(i).key());
            ins.setLong(2, batch.get(i).expires());
            out[i] = ins.executeUpdate() == 1; // a duplicate within the batch conflicts with the first: refused
          }
        }
        return out;
      });
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).verdict().complete(verdicts[i]);
      }
    } catch (SQLException | RuntimeException e) {
      batch.forEach(p -> p.verdict().completeExceptionally(e));
    }
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
