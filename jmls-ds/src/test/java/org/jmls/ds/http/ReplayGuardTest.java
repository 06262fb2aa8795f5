package org.jmls.ds.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jmls.service.Database;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests that change state are recorded in the database by group commit: many threads at once,
 * each signature taken exactly once, whichever thread's transaction writes it.
 */
class ReplayGuardTest {
  @TempDir
  Path dir;

  @Test
  void concurrentRequests_eachSignatureTakenOnce_replaysRefused() throws Exception {
    try (Database db = Database.sqlite(dir, "ds", "db/ds")) {
      ReplayGuard guard = new ReplayGuard(db, Clock.systemUTC());
      long now = System.currentTimeMillis();
      int signatures = 400;
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        List<Future<Boolean>> uses = new ArrayList<>();
        for (int round = 0; round < 2; round++) { // every signature presented twice, the two uses racing
          for (int i = 0; i < signatures; i++) {
            String sig = "signature-" + i;
            uses.add(pool.submit(() -> guard.firstUse(sig, now, true)));
          }
        }
        int[] firsts = new int[signatures];
        for (int k = 0; k < uses.size(); k++) {
          if (uses.get(k).get()) {
            firsts[k % signatures]++;
          }
        }
        for (int i = 0; i < signatures; i++) {
          assertEquals(1, firsts[i], "signature " + i + " taken once");
        }
      } finally {
        pool.shutdownNow();
      }
      assertFalse(guard.firstUse("signature-7", now, true), "a replay after the race is refused");
      assertTrue(guard.firstUse("signature-new", now, true));
      assertTrue(guard.firstUse("a read", now, false));
      assertFalse(guard.firstUse("a read", now, false), "a read is remembered in this node's memory: its replay is refused");
    }
  }
}
