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
 * their own transaction. On SQLite the numbers come from one counter row ({@link DeliveryLog#reserve});
 * on PostgreSQL in blocks ({@link Blocks}), which take no lock across processes: nodes' appends
 * commit in any order, and reads by number stop at the {@link #horizon}.
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

  /** Adds a listener (each is told of every append, one call at a time; in sequence order with one node). */
  synchronized void listener(Consumer<List<Appended>> l) {
    this.listener = this.listener.andThen(l);
  }

  void cluster(ClusterAppends c) {
    this.cluster = c;
  }

  boolean clustered() {
    return cluster != null;
  }

  /** The announcements across nodes, or null with one node. */
  ClusterAppends cluster() {
    return cluster;
  }

  void live(Consumer<List<Appended>> l) {
    this.live = l;
  }

  /**
   * Reserves {@code n} consecutive numbers in the caller's appending transaction (of {@link #run})
   * and returns the first: a block on PostgreSQL, taken after the caller's row locks.
   */
  long reserve(java.sql.Connection c, int n) throws SQLException {
    return late() ? Blocks.claim(c, n) : DeliveryLog.reserve(c, n);
  }

  /**
   * The horizon: a number below which every append has committed, or was given up, and none will
   * commit later; reads by number stop there so that each is a prefix of the log. SQLite: the last
   * number handed out. PostgreSQL with other nodes: what this node has announced ({@link
   * ClusterAppends#horizon}); alone: the last block claimed (its appends run one at a time).
   */
  long horizon(java.sql.Connection c) throws SQLException {
    ClusterAppends shared = cluster;
    if (shared != null) {
      return shared.horizon();
    }
    return late() ? Blocks.lastClaimed(c) : DeliveryLog.last(c);
  }

  /** Locks group {@code gid}'s row for the caller's transaction (PostgreSQL; SQLite has one writer). */
  void lockGroup(java.sql.Connection c, org.jmls.Bytes gid) throws SQLException {
    if (late()) {
      try (java.sql.PreparedStatement q = c.prepareStatement("SELECT 1 FROM ds_groups WHERE group_id = ? FOR UPDATE")) {
        q.setBytes(1, gid.unsafeArray());
        q.executeQuery().close();
      }
    }
  }

  /** Runs {@code work} in a transaction; after it committed, announces what it appended. */
  <T> T run(Work<T> work) throws SQLException {
    return append((shared, appended) -> db.readCommitted(c -> {
      appended.clear();
      T result = work.run(c, appended);
      if (shared != null && !appended.isEmpty()) {
        shared.publish(c, appended); // the other nodes hear of it at commit
      }
      return result;
    }));
  }

  /** What a late append reserved ({@code first..last}; none when {@code first > last}) and wrote there. */
  record Reserved(long first, long last, List<Appended> appended) {
    static final Reserved NONE = new Reserved(1, 0, List.of());
  }

  /** PostgreSQL work whose appending is one statement that takes its row locks and block itself ({@link LogAppend}). */
  @FunctionalInterface
  interface LateWork {
    /** {@code cluster} is null when no other node shares the database. */
    Reserved run(java.sql.Connection c, ClusterAppends cluster) throws SQLException;
  }

  /**
   * Runs {@code work} in autocommit mode ({@link Database#statements}): its checks before its one
   * appending statement, which locks its groups' rows and claims its block itself. With
   * several nodes it runs beside this node's other appends (their ranges are announced in order by
   * {@link ClusterAppends}); with one node, one append at a time, announced as it commits.
   */
  Reserved runLate(LateWork work) throws SQLException {
    ClusterAppends shared = cluster;
    if (shared == null) {
      lock.lock();
    }
    try {
      Reserved r = db.statements(c -> work.run(c, shared));
      if (r.first() <= r.last()) {
        List<Appended> done = List.copyOf(r.appended());
        if (shared != null) {
          shared.committed(r.first(), r.last(), done);
        } else if (!done.isEmpty()) {
          live.accept(done);
        }
        if (!done.isEmpty()) {
          tellListeners(done);
        }
      }
      return r;
    } finally {
      if (shared == null) {
        lock.unlock();
      }
    }
  }

  /** Whether {@link #runLate} may be used: the database is PostgreSQL. */
  boolean late() {
    return db.dialect() == Database.Dialect.POSTGRESQL;
  }

  private final Object listening = new Object();

  private void tellListeners(List<Appended> done) {
    synchronized (listening) {
      listener.accept(done);
    }
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
        tellListeners(done);
      }
      return out;
    } finally {
      lock.unlock();
    }
  }
}
