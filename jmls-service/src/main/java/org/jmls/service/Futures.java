package org.jmls.service;

/** What failed a {@link java.util.concurrent.CompletableFuture} stage. */
public final class Futures {
  private Futures() {}

  /** The failure itself: the cause a {@link java.util.concurrent.CompletionException} wraps, if it wraps one. */
  public static Throwable cause(Throwable err) {
    return err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
  }
}
