package org.jmls.service;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The servers a client talks to: one base URL, or the nodes of one deployment, written
 * comma-separated ({@code http://a:8420,http://b:8420}). Requests go to the current node; when it
 * cannot be reached (the connection is refused or not made in time, so the request never reached
 * it) the next one becomes current and the request is tried there. After every node refused, the
 * client waits (100 ms doubling to 2 s) and goes round again, for a bounded time. A request that
 * reached a node and then lost its connection is not sent again here (the node may have acted on
 * it); if that node is gone, the next request finds out and moves on.
 */
public final class Nodes {
  /** One attempt of a request at the node {@code base}. */
  @FunctionalInterface
  public interface Attempt<T, E extends Exception> {
    T run(String base) throws IOException, InterruptedException, E;
  }

  /** One attempt of an asynchronous request at the node {@code base}. */
  @FunctionalInterface
  public interface AsyncAttempt<T> {
    java.util.concurrent.CompletableFuture<T> run(String base) throws Exception;
  }

  /** How long a request keeps looking for a node that answers. */
  public static final long FAILOVER_MILLIS = 30_000;

  private final List<String> urls;
  private final AtomicInteger current = new AtomicInteger();

  private Nodes(List<String> urls) {
    this.urls = urls;
  }

  /** {@code spec}: one base URL, or several separated by commas; trailing slashes are dropped. */
  public static Nodes parse(String spec) {
    List<String> urls = new ArrayList<>();
    for (String u : spec.split(",")) {
      String t = u.trim().replaceAll("/+$", "");
      if (!t.isEmpty()) {
        urls.add(t);
      }
    }
    if (urls.isEmpty()) {
      throw new IllegalArgumentException("no server URL in '" + spec + "'");
    }
    return new Nodes(List.copyOf(urls));
  }

  /** The node requests go to now. */
  public String current() {
    return urls.get(Math.floorMod(current.get(), urls.size()));
  }

  public List<String> all() {
    return urls;
  }

  /** {@code base} failed: the next node becomes current (unless another request moved on already). */
  public void failed(String base) {
    int at = current.get();
    if (urls.get(Math.floorMod(at, urls.size())).equals(base)) {
      current.compareAndSet(at, at + 1);
    }
  }

  /** Whether {@code e} means the request never reached the node. */
  public static boolean unreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof HttpConnectTimeoutException) {
        return true;
      }
    }
    return false;
  }

  /** As {@link #call}, asynchronously: one round over the nodes, without waiting between them. */
  public <T> java.util.concurrent.CompletableFuture<T> callAsync(AsyncAttempt<T> attempt) {
    return callAsync(attempt, urls.size());
  }

  private <T> java.util.concurrent.CompletableFuture<T> callAsync(AsyncAttempt<T> attempt, int tries) {
    String base = current();
    java.util.concurrent.CompletableFuture<T> f;
    try {
      f = attempt.run(base);
    } catch (Exception e) {
      return java.util.concurrent.CompletableFuture.failedFuture(e);
    }
    return f.exceptionallyCompose(e -> {
      if (!unreachable(e) || tries <= 1) {
        return java.util.concurrent.CompletableFuture.failedFuture(e);
      }
      failed(base);
      return callAsync(attempt, tries - 1);
    });
  }

  /** Runs {@code attempt} at the current node, moving on to the next while nodes cannot be reached (see the class comment). */
  public <T, E extends Exception> T call(Attempt<T, E> attempt) throws IOException, InterruptedException, E {
    long deadline = System.currentTimeMillis() + FAILOVER_MILLIS;
    long backoff = 100;
    int refused = 0;
    while (true) {
      String base = current();
      try {
        return attempt.run(base);
      } catch (IOException e) {
        if (!unreachable(e)) {
          throw e; // it reached the node (which may have acted on it), or the node answered: not sent again
        }
        failed(base);
        if (System.currentTimeMillis() >= deadline) {
          throw e;
        }
        if (++refused % urls.size() == 0) { // every node refused: wait before the next round
          Thread.sleep(backoff);
          backoff = Math.min(2_000, backoff * 2);
        }
      }
    }
  }
}
