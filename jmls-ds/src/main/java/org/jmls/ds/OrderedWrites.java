package org.jmls.ds;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jmls.ds.GroupDirectory.Appended;
import org.jmls.service.Database;

/**
 * The transactions that append to the delivery log, one at a time in this process, each followed by
 * the announcement of what it appended, so listeners (push, long-poll) see entries in sequence
 * order. Only the writes are serialised: checks that take time (verifying a commit) run before, in
 * their own transaction. Across processes on one PostgreSQL the sequence row serialises appends
 * (see {@link DeliveryLog}); announcements are per process.
 */
final class OrderedWrites {
  /** Work that appends; it adds what it appended to the list it is given (cleared on each attempt). */
  @FunctionalInterface
  interface Work<T> {
    T run(java.sql.Connection c, List<Appended> appended) throws SQLException;
  }

  private final Database db;
  private final ReentrantLock lock = new ReentrantLock();
  private volatile Consumer<List<Appended>> listener = a -> {};
  /** Live delivery (sessions, long-polls): told of this node's appends at once, or through {@link #cluster} in the cluster's order. */
  private volatile Consumer<List<Appended>> live = a -> {};
  /** Set when nodes share the database: each append is also announced through it, at commit, to every node. */
  private volatile ClusterAppends cluster;

  OrderedWrites(Database db) {
    this.db = db;
  }

  /** Adds a listener (each is told of every append, in the order added). */
  synchronized void listener(Consumer<List<Appended>> l) {
    this.listener = this.listener.andThen(l);
  }

  /**
   * Taken first by every appending transaction: appends run one at a time across all nodes on one
   * PostgreSQL, so they commit in the order of their sequence numbers ({@link DeliveryLog#reserve}).
   */
  static final String LOCK = "SELECT next_seq FROM ds_sequence WHERE name = 'delivery' FOR UPDATE";

  void cluster(ClusterAppends c) {
    this.cluster = c;
  }

  void live(Consumer<List<Appended>> l) {
    this.live = l;
  }

  /** Runs {@code work} in a transaction; after it committed, announces what it appended. */
  <T> T run(Work<T> work) throws SQLException {
    return append((shared, appended) -> db.lockedTransaction(LOCK, c -> {
      appended.clear();
      T result = work.run(c, appended);
      if (shared != null && !appended.isEmpty()) {
        shared.publish(c, appended); // the other nodes hear of it at commit
      }
      return result;
    }));
  }

  /** PostgreSQL work that takes the append lock itself, late ({@link LogAppend}), and tells the other nodes itself. */
  @FunctionalInterface
  interface LateWork<T> {
    /** {@code cluster} is null when no other node shares the database. */
    T run(java.sql.Connection c, List<Appended> appended, ClusterAppends cluster) throws SQLException;
  }

  /**
   * Like {@link #run}, for work whose checks run before it takes the append lock (see {@link
   * Database#lateLockedTransaction}): with several nodes, one node checks while another appends.
   */
  <T> T runLate(LateWork<T> work) throws SQLException {
    return append((shared, appended) -> db.lateLockedTransaction(c -> {
      appended.clear();
      return work.run(c, appended, shared);
    }));
  }

  /** Whether {@link #runLate} may be used: the database is PostgreSQL. */
  boolean late() {
    return db.dialect() == Database.Dialect.POSTGRESQL;
  }

  private interface Transaction<T> {
    T run(ClusterAppends shared, List<Appended> appended) throws SQLException;
  }

  private <T> T append(Transaction<T> transaction) throws SQLException {
    List<Appended> appended = new ArrayList<>();
    ClusterAppends shared = cluster;
    lock.lock();
    try {
      T out = transaction.run(shared, appended);
      if (!appended.isEmpty()) {
        List<Appended> done = List.copyOf(appended);
        if (shared != null) {
          shared.committed(done); // announced once every earlier number of any node was
        } else {
          live.accept(done);
        }
        listener.accept(done);
      }
      return out;
    } finally {
      lock.unlock();
    }
  }
}
