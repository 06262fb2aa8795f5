package org.jmls.ds;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.jmls.service.Database;

/**
 * Devices acknowledging what they read (RFC 9750 §5.2: the DS keeps each device's position). An
 * acknowledgement moves the device's cursor (never back, never past the horizon: {@link OrderedWrites#horizon})
 * and deletes its own queued items up to there and the membership windows it has read to their end.
 *
 * <p>Every connected device acknowledges a few times a second whether or not much arrives, so at
 * light load acknowledgements are most of a node's transactions. They are group-committed ({@link
 * Batches}): whatever gathered while the last transaction ran is written in one, a handful of
 * statement batches for any number of devices; each caller still waits for its own commit and gets
 * how far its cursor moved, as if the acknowledgements had run one after another in arrival order.
 */
final class Acknowledgements {
  /** Most acknowledgements in one transaction. */
  static final int BATCH = 512;

  private record Pending(String client, long upto, CompletableFuture<Long> moved) {}

  private final Database db;
  private final OrderedWrites writes;
  private final Batches<Pending> pending = new Batches<>("jmls-ds-acks", BATCH, this::writeBatch);

  Acknowledgements(Database db, OrderedWrites writes) {
    this.db = db;
    this.writes = writes;
  }

  /** Moves {@code client}'s cursor to {@code upto}; completes, once committed, with how far it moved. */
  CompletableFuture<Long> submit(String client, long upto) {
    Pending p = new Pending(client, upto, new CompletableFuture<>());
    pending.submit(p);
    return p.moved();
  }

  private void writeBatch(List<Pending> batch) {
    long[] moved;
    try {
      moved = db.transaction(c -> write(c, batch, writes.horizon(c)));
    } catch (SQLException | RuntimeException e) {
      batch.forEach(p -> p.moved().completeExceptionally(e));
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).moved().complete(moved[i]);
    }
  }

  /** Applies {@code batch} in order; returns how far each moved its device's cursor. */
  private static long[] write(Connection c, List<Pending> batch, long last) throws SQLException {
    // Sorted by device, so two nodes' batches take row locks in one order (no deadlock between them).
    TreeMap<String, Long> cursor = new TreeMap<>();
    for (Pending p : batch) {
      cursor.put(p.client(), 0L);
    }
    Map<String, Long> stored = cursors(c, List.copyOf(cursor.keySet()));
    cursor.putAll(stored);
    long[] moved = new long[batch.size()];
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      long target = Math.min(p.upto(), last);
      long at = cursor.get(p.client());
      if (target > at) {
        moved[i] = target - at;
        cursor.put(p.client(), target);
      }
    }
    List<Map.Entry<String, Long>> changed = new ArrayList<>();
    for (Map.Entry<String, Long> e : cursor.entrySet()) {
      if (e.getValue() > stored.getOrDefault(e.getKey(), 0L)) {
        changed.add(e);
      }
    }
    if (changed.isEmpty()) {
      return moved;
    }
    try (PreparedStatement u = c.prepareStatement("UPDATE ds_cursors SET acked = ? WHERE client_id = ?");
        PreparedStatement ins = c.prepareStatement("INSERT INTO ds_cursors (acked, client_id) VALUES (?, ?)")) {
      for (Map.Entry<String, Long> e : changed) {
        PreparedStatement s = stored.containsKey(e.getKey()) ? u : ins;
        s.setLong(1, e.getValue());
        s.setString(2, e.getKey());
        s.addBatch();
      }
      u.executeBatch();
      ins.executeBatch();
    }
    for (String sql : new String[] {
        "DELETE FROM ds_queue WHERE client_id = ? AND seq <= ?",
        "DELETE FROM ds_expired WHERE client_id = ? AND upto_seq <= ?",
        "DELETE FROM ds_group_members WHERE client_id = ? AND until_seq IS NOT NULL AND until_seq <= ?"}) {
      try (PreparedStatement d = c.prepareStatement(sql)) {
        for (Map.Entry<String, Long> e : changed) {
          d.setString(1, e.getKey());
          d.setLong(2, e.getValue());
          d.addBatch();
        }
        d.executeBatch();
      }
    }
    return moved;
  }

  /**
   * The stored cursors of {@code clients} (a device without one is absent). The transaction is
   * serializable: a concurrent acknowledgement of the same device on another node makes one of the
   * two retry, reading the moved value.
   */
  private static Map<String, Long> cursors(Connection c, List<String> clients) throws SQLException {
    Map<String, Long> stored = new HashMap<>();
    for (int from = 0; from < clients.size(); from += 100) {
      List<String> part = clients.subList(from, Math.min(clients.size(), from + 100));
      String marks = String.join(",", java.util.Collections.nCopies(part.size(), "?"));
      try (PreparedStatement q = c.prepareStatement("SELECT client_id, acked FROM ds_cursors WHERE client_id IN (" + marks + ")")) {
        for (int i = 0; i < part.size(); i++) {
          q.setString(i + 1, part.get(i));
        }
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            stored.put(rs.getString(1), rs.getLong(2));
          }
        }
      }
    }
    return stored;
  }
}
