package org.jmls;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Independent checks over the indices {@code 0..n-1}, split into contiguous ranges on an executor
 * (or run on the caller's thread when there is none or {@code n} is small). A refusal is reported
 * as a sequential run would report it: the one of the lowest range that refused.
 */
public final class ParallelRanges {
  private ParallelRanges() {}

  /** The checks of indices {@code from} to {@code to - 1}. */
  @FunctionalInterface
  public interface Range {
    void check(int from, int to) throws ValidationException;
  }

  /**
   * Runs {@code range} over {@code 0..n-1}: in one piece when {@code executor} is null or {@code n}
   * is below {@code 2 * perRange}, else in at most 64 ranges of about {@code perRange} indices.
   */
  public static void check(ExecutorService executor, int n, int perRange, Range range) throws ValidationException {
    int ranges = executor == null ? 1 : Math.max(1, Math.min(64, n / Math.max(1, perRange)));
    if (ranges == 1) {
      range.check(0, n);
      return;
    }
    List<Future<ValidationException>> results = new ArrayList<>(ranges);
    for (int k = 0; k < ranges; k++) {
      int from = (int) ((long) n * k / ranges);
      int to = (int) ((long) n * (k + 1) / ranges);
      results.add(executor.submit(() -> {
        try {
          range.check(from, to);
          return null;
        } catch (ValidationException e) {
          return e;
        }
      }));
    }
    ValidationException first = null;
    for (Future<ValidationException> f : results) {
      ValidationException refused;
      try {
        refused = f.get(); // every range is awaited, so none is still running when this returns
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted during parallel checks", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
      if (first == null) {
        first = refused;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
