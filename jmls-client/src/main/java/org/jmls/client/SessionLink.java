package org.jmls.client;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.jmls.ValidationException;
import org.jmls.ds.http.DsClient;
import org.jmls.ds.http.DsSession;

/**
 * A device's WebSocket session with the DS, as the SDK uses it: pushed messages wait here until the
 * client processes them; posts are pipelined over it. One session at a time; while a broken one is
 * reopened (on any node) the client uses HTTP.
 */
final class SessionLink {
  private final DsClient ds;
  private DsSession session;
  private final ConcurrentLinkedQueue<DsSession.Pushed> pushed = new ConcurrentLinkedQueue<>();
  final AtomicLong postedOverSession = new AtomicLong();
  final AtomicLong readFromPushes = new AtomicLong();

  SessionLink(DsClient ds) {
    this.ds = ds;
  }

  /** Reopens broken sessions, off the caller's threads. */
  private static final java.util.concurrent.ScheduledExecutorService RECONNECT =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "jmls-session-reconnect");
        t.setDaemon(true);
        return t;
      });

  /** Longest wait between two attempts to reopen a broken session. */
  static final long RECONNECT_MAX_MILLIS = 5_000;

  /**
   * Opens a session that pushes every message after {@code after} (the device's place, read at each
   * opening); {@code onWake} runs on each push. A session that breaks (its node died, the network
   * dropped) is opened again, on any node of the deployment, with backoff (0.1 s doubling to 5 s),
   * from the device's place then: nothing it had not processed is lost, nothing is processed twice.
   * Closing the returned handle stops it.
   */
  AutoCloseable open(java.util.function.LongSupplier after, Runnable onWake) throws Exception {
    Reopening r = new Reopening(after, onWake);
    r.connect();
    return r;
  }

  /** One session the device asked for, opened again whenever it breaks, until closed. */
  private final class Reopening implements DsSession.Listener, AutoCloseable {
    private final java.util.function.LongSupplier after;
    private final Runnable onWake;
    private volatile boolean stopped;
    private volatile DsSession open;
    private long backoff = 100; // touched by the reconnecting thread only

    Reopening(java.util.function.LongSupplier after, Runnable onWake) {
      this.after = after;
      this.onWake = onWake;
    }

    @Override
    public void pushed(DsSession.Pushed p) {
      pushed.add(p);
      onWake.run();
    }

    @Override
    public void wake() {
      onWake.run();
    }

    /** Opens the session from the device's place now, and watches it. */
    void connect() throws Exception {
      DsSession s = ds.openSession(this);
      synchronized (SessionLink.this) {
        session = s;
      }
      s.deliver(after.getAsLong());
      open = s;
      s.closed().whenComplete((why, e) -> {
        if (!stopped) {
          RECONNECT.schedule(this::reopen, backoff, TimeUnit.MILLISECONDS);
        }
      });
    }

    private void reopen() {
      if (stopped) {
        return;
      }
      try {
        connect();
        backoff = 100;
        onWake.run(); // what arrived while the session was down
      } catch (Exception failed) {
        backoff = Math.min(RECONNECT_MAX_MILLIS, backoff * 2);
        RECONNECT.schedule(this::reopen, backoff, TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public void close() {
      stopped = true;
      DsSession s = open;
      synchronized (SessionLink.this) {
        if (session == s) {
          session = null;
        }
      }
      s.close();
      pushed.clear();
    }
  }

  /** The open session, or null (none, or it broke). */
  synchronized DsSession current() {
    if (session != null && !session.isOpen()) {
      session = null;
      pushed.clear();
    }
    return session;
  }

  /** The next pushed message, or null. */
  DsSession.Pushed poll() {
    return pushed.poll();
  }

  /**
   * Posts {@code messages} over {@code s}, all at once, then awaits the answers in order; returns
   * how many were confirmed before the session failed (the caller sends the rest another way). A
   * refusal by the DS throws with its rule.
   */
  int postAll(DsSession s, List<byte[]> messages) throws MlsClient.ClientException, InterruptedException {
    List<CompletableFuture<Void>> answers = new java.util.ArrayList<>();
    for (byte[] m : messages) {
      answers.add(s.post(m));
    }
    int confirmed = 0;
    for (CompletableFuture<Void> a : answers) {
      try {
        a.get(30, TimeUnit.SECONDS);
        confirmed++;
        postedOverSession.incrementAndGet();
      } catch (ExecutionException e) {
        if (e.getCause() instanceof ValidationException v) {
          throw new MlsClient.ClientException("send refused by the DS: " + v.ruleId() + ": " + v.getMessage());
        }
        // The session broke: the rest goes another way. A message the DS stored without confirming
        // it is then sent twice (at least once, never lost); its second copy fails to decrypt at the
        // receivers (the key was used) and is reported there as a problem, not shown twice.
        break;
      } catch (TimeoutException e) {
        break;
      }
    }
    return confirmed;
  }
}
