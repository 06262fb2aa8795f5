package org.jmls.ds;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Group commit: items submitted from any thread are handed, whatever has gathered (up to a bound),
 * to one worker thread at a time, so many small writes share one transaction. The thread starts
 * with the first item and stops after a few idle seconds.
 */
final class Batches<T> {
  private final String threadName;
  private final int max;
  private final Consumer<List<T>> handler;
  private final LinkedBlockingQueue<T> queue = new LinkedBlockingQueue<>();
  private Thread thread;

  /** {@code handler} gets each batch (never empty, at most {@code max} items) and must not throw. */
  Batches(String threadName, int max, Consumer<List<T>> handler) {
    this.threadName = threadName;
    this.max = max;
    this.handler = handler;
  }

  void submit(T item) {
    queue.add(item);
    synchronized (this) {
      if (thread == null) {
        thread = new Thread(this::loop, threadName);
        thread.setDaemon(true);
        thread.start();
      }
    }
  }

  /** Adds to {@code batch} what has gathered since it was taken, up to the bound (a handler's late top-up). */
  void topUp(List<T> batch) {
    queue.drainTo(batch, max - batch.size());
  }

  private void loop() {
    List<T> batch = new ArrayList<>();
    while (true) {
      batch.clear();
      try {
        T first = queue.poll(5, TimeUnit.SECONDS);
        if (first == null) {
          synchronized (this) {
            if (queue.isEmpty()) {
              thread = null;
              return;
            }
          }
          continue;
        }
        batch.add(first);
      } catch (InterruptedException e) {
        synchronized (this) {
          thread = null;
        }
        return;
      }
      topUp(batch);
      handler.accept(batch);
    }
  }
}
