package org.jmls.ds;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.ds.GroupDirectory.Appended;
import org.jmls.ds.GroupDirectory.Kind;

/**
 * Application messages, batched: one writer thread commits whatever has gathered (up to {@value
 * #BATCH}) at once, each message checked on its own (member, epoch window) so one refusal does not
 * affect the others. Each message is one log row whatever its group's size ({@link Batches}: one
 * writer thread). On PostgreSQL a batch is one statement that commits as it completes ({@link
 * LogAppend}); on SQLite one transaction, which also moves each written group's last sequence.
 */
final class ApplicationWriter {
  /** Most application messages written in one transaction. */
  static final int BATCH = 512;
  /** How many times a PostgreSQL batch is checked again after a commit moved an epoch under it. */
  private static final int LATE_ATTEMPTS = 20;

  /** A message waiting for the writer. */
  private record Pending(String sender, Bytes gid, long epoch, byte[] message, CompletableFuture<Void> done) {}

  /** What the writer needs from the directory: the group's current epoch and members. */
  interface Groups {
    /** The current epoch of each of {@code gids} that exists. */
    Map<Bytes, Long> epochs(Connection c, java.util.Collection<Bytes> gids) throws SQLException;

    Set<String> members(Connection c, Bytes gid, long epoch) throws SQLException;

    long now();
  }

  private final OrderedWrites writes;
  private final Groups groups;
  /**
   * PostgreSQL: each group's epoch as this node last read it or as an append confirmed it, so that a
   * batch's check need not read them. May be stale, since another node's commit moves an epoch
   * without telling this cache. Staleness is caught, never trusted: the append statement compares
   * every checked epoch with the row it locks and writes nothing on a difference (the batch is then
   * checked again on fresh epochs, which also refreshes this memory), and a check that would refuse
   * a message is repeated against fresh epochs first (a message for an epoch newer than the cached
   * one is the common sign of a stale entry). Bounded: cleared when it reaches {@value #KNOWN_EPOCHS} groups.
   */
  private final Map<Bytes, Long> knownEpochs = new java.util.concurrent.ConcurrentHashMap<>();
  static final int KNOWN_EPOCHS = 100_000;
  private final Batches<Pending> pending = new Batches<>("jmls-ds-writer", BATCH, this::writeBatch);

  ApplicationWriter(OrderedWrites writes, Groups groups) {
    this.writes = writes;
    this.groups = groups;
  }

  /** Queues {@code message} (a PrivateMessage of application content); completes when stored or refused. */
  CompletableFuture<Void> submit(String sender, Bytes gid, long epoch, byte[] message) {
    Pending p = new Pending(sender, gid, epoch, message, new CompletableFuture<>());
    pending.submit(p);
    return p.done();
  }

  private void writeBatch(List<Pending> batch) {
    Map<Pending, MlsException> refused = new HashMap<>();
    try {
      if (writes.late()) {
        // Again on fresh epochs while a commit moved one under the statement (each try takes a new block).
        for (int attempt = 0; !writeLate(batch, refused, attempt > 0); attempt++) {
          if (attempt == LATE_ATTEMPTS) {
            throw new SQLException("the epochs of this batch's groups moved " + LATE_ATTEMPTS + " times while it was written", "40001");
          }
        }
      } else {
        writes.run((c, appended) -> {
          refused.clear();
          pending.topUp(batch); // posts that came meanwhile join the transaction
          write(c, batch, refused, appended);
          return null;
        });
      }
    } catch (SQLException | RuntimeException e) {
      batch.forEach(p -> p.done().completeExceptionally(e));
      return;
    }
    for (Pending p : batch) {
      MlsException why = refused.get(p);
      if (why != null) {
        p.done().completeExceptionally(why);
      } else {
        p.done().complete(null);
      }
    }
  }

  /** The messages of a batch that may be appended, with their readers, and their groups' epochs. */
  private record Checked(List<Pending> accepted, List<Set<String>> readers, Map<Bytes, Long> epochs) {}

  /** A group's epoch moved here (a commit was written): the next batch reads it again. */
  void epochMoved(Bytes gid) {
    knownEpochs.remove(gid);
  }

  /** Checks each message of {@code batch} on its own (group, member, epoch window); those refused go to {@code refused}. */
  private Checked check(Connection c, List<Pending> batch, Map<Pending, MlsException> refused) throws SQLException {
    return check(c, batch, refused, epochsOf(c, batch, false));
  }

  /** The epochs of the batch's groups: read in one query, or (when {@code cached}) only those not in {@link #knownEpochs}. */
  private Map<Bytes, Long> epochsOf(Connection c, List<Pending> batch, boolean cached) throws SQLException {
    Map<Bytes, Long> epochs = new HashMap<>();
    Set<Bytes> unknown = new java.util.HashSet<>();
    for (Pending p : batch) {
      Long known = cached ? knownEpochs.get(p.gid()) : null;
      if (known != null) {
        epochs.put(p.gid(), known);
      } else {
        unknown.add(p.gid());
      }
    }
    if (!unknown.isEmpty()) {
      Map<Bytes, Long> read = groups.epochs(c, unknown); // one query for the batch, not one per group
      epochs.putAll(read);
      if (writes.late()) { // only the PostgreSQL statement compares, so only it may start from remembered epochs
        if (knownEpochs.size() + read.size() > KNOWN_EPOCHS) {
          knownEpochs.clear();
        }
        knownEpochs.putAll(read);
      }
    }
    return epochs;
  }

  private Checked check(Connection c, List<Pending> batch, Map<Pending, MlsException> refused, Map<Bytes, Long> epochs)
      throws SQLException {
    List<Pending> accepted = new ArrayList<>();
    List<Set<String>> readers = new ArrayList<>();
    Map<Bytes, Long> used = new HashMap<>();
    for (Pending p : batch) {
      long current = epochs.getOrDefault(p.gid(), -1L);
      if (current < 0) {
        refused.put(p, new ValidationException("ds.unknown-group", "no such group"));
        continue;
      }
      Set<String> members = groups.members(c, p.gid(), current);
      if (!members.contains(p.sender())) {
        refused.put(p, new ValidationException("ds.not-a-member", "only members post to a group"));
        continue;
      }
      if (p.epoch() > current || current - p.epoch() > GroupDirectory.RECENT_EPOCHS) {
        refused.put(p, new ValidationException("ds.epoch-too-old",
            "application messages are accepted for the last " + GroupDirectory.RECENT_EPOCHS + " epochs"));
        continue;
      }
      accepted.add(p);
      readers.add(members);
      used.put(p.gid(), current);
    }
    return new Checked(accepted, readers, used);
  }

  /**
   * PostgreSQL: checks the batch (on remembered epochs unless {@code fresh}), then appends it with
   * one statement ({@link LogAppend}) that locks its groups' rows and commits. False when a group's
   * epoch moved between the two (a commit came first): nothing was written, and the batch is to be
   * checked again on fresh epochs.
   */
  private boolean writeLate(List<Pending> batch, Map<Pending, MlsException> refused, boolean fresh) throws SQLException {
    OrderedWrites.Reserved r = writes.runLate((c, cluster) -> {
      refused.clear();
      Checked checked = check(c, batch, refused, epochsOf(c, batch, !fresh));
      if (!refused.isEmpty()) { // refusals are decided on epochs read now, never on remembered ones
        refused.clear();
        checked = check(c, batch, refused);
      }
      if (checked.accepted().isEmpty()) {
        return OrderedWrites.Reserved.NONE;
      }
      List<LogAppend.Entry> entries = new ArrayList<>();
      List<Appended> relative = new ArrayList<>();
      for (int i = 0; i < checked.accepted().size(); i++) {
        Pending p = checked.accepted().get(i);
        entries.add(new LogAppend.Entry(p.gid(), p.epoch(), p.sender(), p.message()));
        relative.add(new Appended(i, p.gid(), Kind.APPLICATION, p.sender(), Bytes.wrap(p.message()), checked.readers().get(i)));
      }
      LogAppend.Result res = LogAppend.applications(c, entries, checked.epochs(), groups.now(),
          cluster == null ? null : cluster.notice(relative));
      List<Appended> written = new ArrayList<>();
      if (res.written()) {
        for (Appended a : relative) {
          written.add(new Appended(res.first() + a.seq(), a.groupId(), a.kind(), a.sender(), a.message(), a.readers()));
        }
      }
      return new OrderedWrites.Reserved(res.first(), res.last(), written);
    });
    return r.first() > r.last() || !r.appended().isEmpty();
  }

  private void write(Connection c, List<Pending> batch, Map<Pending, MlsException> refused, List<Appended> appended)
      throws SQLException {
    Checked checked = check(c, batch, refused);
    List<Pending> accepted = checked.accepted();
    List<Set<String>> readers = checked.readers();
    if (accepted.isEmpty()) {
      return;
    }
    long seq = writes.reserve(c, accepted.size());
    long now = groups.now();
    Map<Bytes, Long> last = new HashMap<>();
    try (PreparedStatement ins = c.prepareStatement(DeliveryLog.APPEND)) {
      for (int i = 0; i < accepted.size(); i++, seq++) {
        Pending p = accepted.get(i);
        DeliveryLog.add(ins, seq, p.gid(), p.epoch(), Kind.APPLICATION, p.sender(), p.message(), now);
        last.put(p.gid(), seq);
        appended.add(new Appended(seq, p.gid(), Kind.APPLICATION, p.sender(), Bytes.wrap(p.message()), readers.get(i)));
      }
      ins.executeBatch();
    }
    DeliveryLog.touchGroups(c, last);
  }
}
