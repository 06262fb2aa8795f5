package org.jmls.ds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.jmls.group.GroupServices;
import org.jmls.service.Database;
import org.jmls.service.Databases;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A hub's outbox for a peer read in small batches, when the peer's user has two devices: a queued
 * Welcome is two rows, and a batch cut between them, or cut in the Welcomes while it went further
 * in the log, would lose a device's Welcome.
 */
class FederatedOutboxTest {
  private static final byte[] GROUP = {1, 2, 3};
  private static final List<String> BOB = List.of("bob@example.org/phone", "bob@example.org/tablet");

  private static void exec(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        p.setObject(i + 1, args[i]);
      }
      p.executeUpdate();
    }
  }

  /** Welcomes for both of Bob's devices at 10, 30 and 50, messages Bob's devices read at 20, 40 and 60 (and one of his own at 45). */
  private static void fill(Database db) throws SQLException {
    db.transaction(c -> {
      exec(c, "INSERT INTO ds_groups (group_id, epoch, public_handshakes, external_joins, group_info, next_log_seq, created_at)"
          + " VALUES (?, 1, 1, 0, ?, 1, 0)", GROUP, new byte[] {0});
      for (String d : BOB) {
        exec(c, "INSERT INTO ds_remote_clients (client_id, user_id, provider, signature_key, seen_at) VALUES (?, ?, ?, ?, 0)",
            d, "bob@example.org", "example.org", d.getBytes());
        exec(c, "INSERT INTO ds_group_members (group_id, client_id, from_seq) VALUES (?, ?, 0)", GROUP, d);
        for (long w : new long[] {10, 30, 50}) {
          exec(c, "INSERT INTO ds_queue (client_id, seq, group_id, kind, message, enqueued_at) VALUES (?, ?, ?, 4, ?, 0)",
              d, w, GROUP, new byte[] {(byte) w});
        }
      }
      for (long m : new long[] {20, 40, 45, 60}) {
        exec(c, "INSERT INTO ds_log (seq, group_id, epoch, kind, sender, message, at) VALUES (?, ?, 1, 3, ?, ?, 0)",
            m, GROUP, m == 45 ? BOB.get(0) : "alice@example.com/phone", new byte[] {(byte) m});
      }
      exec(c, "UPDATE ds_sequence SET next_seq = 61 WHERE name = 'delivery'"); // as the writers do: reads stop at the last number handed out
      return null;
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void pagedInSmallBatches_everyEntryOnceWithAllItsReaders(String kind) throws Exception {
    try (Database db = Databases.freshWith(kind, "db/ds")) {
      fill(db);
      Federated f = new GroupDirectory(db, GroupServices.development()).federated();
      for (int limit = 1; limit <= 4; limit++) {
        List<Long> seen = new ArrayList<>();
        long after = 0;
        Federated.Outbox read;
        int reads = 0;
        do {
          read = f.outbox("example.org", after, limit);
          assertTrue(read.entries().size() <= limit);
          for (Federated.Entry e : read.entries()) {
            seen.add(e.seq());
            List<String> expected = e.seq() == 45 ? List.of(BOB.get(1)) : BOB;
            assertEquals(expected, e.readers().stream().sorted().toList(), "readers of " + e.seq() + " with batches of " + limit);
            assertEquals(e.seq(), e.message().unsafeArray()[0]);
          }
          if (!read.entries().isEmpty()) {
            after = read.entries().get(read.entries().size() - 1).seq();
          }
          assertTrue(++reads < 20, "progress");
        } while (!read.complete());
        assertEquals(List.of(10L, 20L, 30L, 40L, 45L, 50L, 60L), seen, "batches of " + limit);
      }
      Federated.Outbox all = f.outbox("example.org", 0, 100);
      assertTrue(all.complete());
      assertEquals(7, all.entries().size());
      assertFalse(f.outbox("example.org", 0, 6).complete(), "cut at its limit");
      assertTrue(f.outbox("example.org", 0, 7).complete(), "all 7 fit");
      assertTrue(f.outbox("example.org", 60, 7).complete());
      assertTrue(f.outbox("example.net", 0, 7).entries().isEmpty());
    }
  }
}
