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
 * client processes them; posts are pipelined over it. One session at a time; a broken one is
 * dropped (the client then uses HTTP) and a new one opens only when asked for.
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

  /** Opens a session that pushes every message after {@code after}; {@code onWake} runs on each push. */
  AutoCloseable open(long after, Runnable onWake) throws Exception {
    DsSession s = ds.openSession(new DsSession.Listener() {
      @Override
      public void pushed(DsSession.Pushed p) {
        pushed.add(p);
        onWake.run();
      }

      @Override
      public void wake() {
        onWake.run();
      }
    });
    synchronized (this) {
      session = s;
    }
    s.deliver(after);
    return () -> {
      synchronized (this) {
        if (session == s) {
          session = null;
        }
      }
      s.close();
      pushed.clear();
    };
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
