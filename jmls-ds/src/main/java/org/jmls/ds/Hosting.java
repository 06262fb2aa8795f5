package org.jmls.ds;

import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.ValidationException;

/**
 * Where a group's requests are served: here, or at the provider that hosts it (federation, {@link
 * GroupRelay}). A group this node has seen hosted elsewhere goes to its hub at once ({@link
 * Federated#knownHub}: a group once hosted elsewhere stays so, and {@link GroupDirectory#create}
 * refuses its id here). Any other group is tried here first; if this DS does not know it, its hub
 * is looked up in the database, and the request goes there when there is one.
 */
final class Hosting {
  /** A request served here; refused with {@code ds.unknown-group} when the group is not hosted here. */
  @FunctionalInterface
  interface Here<T, E extends MlsException> {
    T run() throws SQLException, E;
  }

  /** The same request made at the group's hub. */
  @FunctionalInterface
  interface AtHub<T, E extends MlsException> {
    T run(GroupRelay relay, String hub) throws SQLException, E;
  }

  private final Federated federated;
  private volatile GroupRelay relay;
  /** Where the hub of a group the batching writer found unknown is looked up (a query), not on the writer's thread. */
  private final java.util.concurrent.ExecutorService lookups = java.util.concurrent.Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "jmls-ds-relay");
    t.setDaemon(true);
    return t;
  });

  Hosting(Federated federated) {
    this.federated = federated;
  }

  void relay(GroupRelay r) {
    this.relay = r;
  }

  /** Whether {@code failure} says the group is not hosted here (so it may be hosted elsewhere). */
  private static boolean unknownHere(Throwable failure) {
    return failure instanceof ValidationException v && v.ruleId().equals("ds.unknown-group");
  }

  /** {@code here}, or {@code atHub} for a group hosted elsewhere. */
  <T, E extends MlsException> T serve(Bytes gid, Here<T, E> here, AtHub<T, E> atHub) throws SQLException, E {
    GroupRelay r = relay;
    String known = r == null ? null : federated.knownHub(gid);
    if (known != null) {
      return atHub.run(r, known);
    }
    try {
      return here.run();
    } catch (Exception e) { // rethrown as it came: SQLException, E or unchecked
      String hub = r != null && unknownHere(e) ? federated.hubOf(gid) : null;
      if (hub == null) {
        throw e;
      }
      return atHub.run(r, hub);
    }
  }

  /**
   * As {@link #serve} for an application post: {@code here} is the batching writer's answer; a post
   * to a group it does not know goes to the group's hub, if there is one, without a thread waiting
   * for the hub's answer.
   */
  CompletableFuture<Long> serveAsync(Bytes gid, java.util.function.Supplier<CompletableFuture<Long>> here,
      java.util.function.BiFunction<GroupRelay, String, CompletableFuture<Long>> atHub) {
    GroupRelay r = relay;
    if (r == null) {
      return here.get();
    }
    String known = federated.knownHub(gid);
    if (known != null) {
      return atHub.apply(r, known);
    }
    return here.get().handle((v, err) -> {
      Throwable t = org.jmls.service.Futures.cause(err);
      if (unknownHere(t)) {
        return CompletableFuture.supplyAsync(() -> {
          try {
            return federated.hubOf(gid);
          } catch (SQLException e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        }, lookups).thenCompose(hub -> hub == null ? CompletableFuture.<Long>failedFuture(t) : atHub.apply(r, hub));
      }
      return err == null ? CompletableFuture.completedFuture(v) : CompletableFuture.<Long>failedFuture(t);
    }).thenCompose(f -> f);
  }
}
