package org.jmls.ds;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.group.GroupServices;
import org.jmls.group.PublicGroup;
import org.jmls.message.ContentType;
import org.jmls.message.GroupInfo;
import org.jmls.message.MlsMessage;
import org.jmls.message.PrivateMessage;
import org.jmls.message.PublicMessage;
import org.jmls.message.SenderType;
import org.jmls.message.Welcome;
import org.jmls.service.Database;

import static org.jmls.ds.GroupRows.*;

/**
 * Groups on the Delivery Service (RFC 9750 §5.2): strongly consistent ordering (exactly one commit
 * accepted per epoch, compare-and-set on the epoch in the database) and the per-group handshake log.
 * In public-handshake groups the DS verifies every commit with jmls-core's {@link PublicGroup} and
 * checks each uploaded GroupInfo against the state it computed; in encrypted-handshake groups it
 * trusts the roster change the committer declares.
 *
 * <p>Delivery is by log and cursor ({@link DeliveryLog}): a message is written once whatever the
 * group's size, a device reads its groups' entries after its cursor within its membership window
 * ({@link Membership}). Application messages go through a batching writer ({@link
 * ApplicationWriter}); every append is announced in sequence order ({@link #onAppended}).
 *
 * <p>Caches: the verified {@link PublicGroup} and the roster are keyed by group and epoch, so they
 * are never stale (a state for an older epoch is simply not used).
 */
public final class GroupDirectory {
  /** What an entry of the log or of a queue is. */
  public enum Kind {
    PROPOSAL(1), COMMIT(2), APPLICATION(3), WELCOME(4);

    final int code;

    Kind(int code) {
      this.code = code;
    }

    static Kind of(int code) {
      for (Kind k : values()) {
        if (k.code == code) {
          return k;
        }
      }
      throw new IllegalArgumentException("kind " + code);
    }
  }

  /** One message for a device: its delivery sequence (increasing, not contiguous), group, kind, bytes. */
  public record Delivery(long seq, Bytes groupId, Kind kind, Bytes message) {}

  /**
   * A message just stored: who may read it ({@code readers}, less the {@code sender}; a set shared
   * by every message of the group and epoch, not a copy), for push and long-poll wake-ups.
   */
  public record Appended(long seq, Bytes groupId, Kind kind, String sender, Bytes message, Set<String> readers) {
    /** Whether {@code client} receives this message. */
    public boolean reaches(String client) {
      return !client.equals(sender) && readers.contains(client);
    }
  }

  /** An accepted commit: the new epoch and its position in the group's handshake log. */
  public record Accepted(long epoch, long logSeq) {}

  /** How many epochs back application messages are still accepted. */
  public static final int RECENT_EPOCHS = 3;
  /** Largest group the DS accepts (members after a commit). */
  public static final int DEFAULT_MAX_GROUP_SIZE = 100_000;
  /** How long a stored message is kept for a device that has not acknowledged it (30 days). */
  public static final long DEFAULT_RETENTION_SECONDS = 30L * 86400;

  volatile int maxGroupSize = DEFAULT_MAX_GROUP_SIZE;

  /** Sets the largest accepted group size (abuse limit). */
  public void maxGroupSize(int n) {
    this.maxGroupSize = n;
  }

  /** Most groups a device may be in when it creates another (default {@value #DEFAULT_MAX_GROUPS_PER_DEVICE}). */
  public static final int DEFAULT_MAX_GROUPS_PER_DEVICE = 10_000;
  private volatile int maxGroupsPerDevice = DEFAULT_MAX_GROUPS_PER_DEVICE;

  public void maxGroupsPerDevice(int n) {
    this.maxGroupsPerDevice = n;
  }

  /**
   * Most Welcomes waiting unread for one device (default {@value #DEFAULT_MAX_WAITING_WELCOMES}): a
   * commit whose Welcome would go to a device with that many is refused, naming the device, and
   * nothing is stored; the device reading its queue makes room.
   */
  public static final int DEFAULT_MAX_WAITING_WELCOMES = 1_000;
  volatile int maxWaitingWelcomes = DEFAULT_MAX_WAITING_WELCOMES;

  public void maxWaitingWelcomes(int n) {
    this.maxWaitingWelcomes = n;
  }

  private final Database db;
  final GroupServices services;
  /** Verified public state per group, keyed by its epoch (never used for another epoch). */
  private final Map<Bytes, PublicGroup> verified = new ConcurrentHashMap<>();
  final Membership membership = new Membership();
  final TreeService trees;
  private final OrderedWrites writes;
  private final ApplicationWriter writer;
  private final Acknowledgements acks;
  private final Federated federated;
  private final CommitCheck checks = new CommitCheck(this);
  private final Hosting hosting;

  public GroupDirectory(Database db, GroupServices services) {
    this.db = db;
    this.services = services;
    this.writes = new OrderedWrites(db);
    this.federated = new Federated(db, writes);
    this.hosting = new Hosting(federated);
    this.trees = new TreeService(services);
    this.acks = new Acknowledgements(db, writes);
    this.writer = new ApplicationWriter(writes, new ApplicationWriter.Groups() {
      @Override
      public Map<Bytes, Long> epochs(Connection c, java.util.Collection<Bytes> gids) throws SQLException {
        return GroupRows.epochsOf(c, gids);
      }

      @Override
      public Set<String> members(Connection c, Bytes gid, long epoch) throws SQLException {
        return membership.at(c, gid, epoch);
      }

      @Override
      public long now() {
        return GroupDirectory.this.now();
      }
    });
  }

  /**
   * Called after each transaction that stored messages, with what it stored, in sequence order
   * (one call at a time per directory): push channels send it without reading it back.
   */
  public void onAppended(Consumer<List<Appended>> listener) {
    writes.listener(listener);
  }

  /** Where live delivery goes (see {@link #onLiveDelivery}). */
  private volatile java.util.function.Supplier<Set<String>> liveOnline = Set::of;
  private volatile Consumer<List<Appended>> liveDeliver = a -> {};
  private volatile Runnable liveResync = () -> {};

  /**
   * Live delivery (push sessions, long-polls): {@code deliver} gets, in sequence order, what is
   * appended for the devices {@code online} at this node; with {@link #cluster}, the appends of
   * every node, and {@code resync} when announcements may have been lost (sessions then read what
   * they are owed).
   */
  public void onLiveDelivery(java.util.function.Supplier<Set<String>> online, Consumer<List<Appended>> deliver, Runnable resync) {
    liveOnline = online;
    liveDeliver = deliver;
    liveResync = resync;
    writes.live(deliver);
  }

  /**
   * Other nodes share this DS's database ({@code bus} over PostgreSQL): every append is announced to
   * every node through it, in one order ({@link ClusterAppends}). Call before traffic.
   */
  public synchronized void cluster(org.jmls.service.ClusterBus bus) throws SQLException {
    ClusterAppends c = new ClusterAppends(db, bus);
    c.listen(liveOnline, liveDeliver, liveResync);
    c.elsewhere(() -> elsewhere.forEach(Runnable::run));
    c.inOrder(inOrder);
    writes.cluster(c);
  }

  private volatile java.util.function.BiConsumer<List<Appended>, Long> inOrder;

  /**
   * With {@link #cluster}: {@code c} is told of every node's appends in the order of their numbers,
   * as this node announces them (see {@link ClusterAppends#inOrder}: null entries when they were not
   * heard and must be read from the database). One listener; before or after {@link #cluster}.
   */
  public synchronized void onAppendedInOrder(java.util.function.BiConsumer<List<Appended>, Long> c) {
    inOrder = c;
    ClusterAppends shared = writes.cluster();
    if (shared != null) {
      shared.inOrder(c);
    }
  }

  private final List<Runnable> elsewhere = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * With {@link #cluster}: runs {@code r} each time another node has committed an append, and when
   * such news may have been lost (on the cluster's listening thread, so {@code r} must only signal), for work that reads what every node
   * appended from the database (a federation peer's outbox) rather than what {@link #onAppended}
   * tells of this node's appends. Every number up to the append's is committed by then.
   */
  public void onAppendedElsewhere(Runnable r) {
    elsewhere.add(r);
  }

  /**
   * Ranges of other nodes' appends this node read back from the database because their notification
   * could not carry them (too large), since it started; 0 with one node.
   */
  public long clusterReadBacks() {
    return writes.cluster() == null ? 0 : writes.cluster().readBacks();
  }

  /**
   * Blocks of numbers this node settled in the database because their notification did not come in
   * time (an appender that died or rolled back, or a notification lost), since it started; 0 with one node.
   */
  public long clusterSettledBlocks() {
    return writes.cluster() == null ? 0 : writes.cluster().settled();
  }

  /**
   * Whether other nodes share this DS's database ({@link #cluster}): {@link #onAppended} then tells
   * of this node's appends only, and not in the order of their numbers across nodes.
   */
  public boolean clustered() {
    return writes.clustered();
  }

  /** Delivery between providers: a hub's outbox, a follower's inbox (see {@link Federated}). */
  public Federated federated() {
    return federated;
  }

  /** Makes posts, commits and reads for groups hosted by another provider go to that provider ({@link GroupRelay}). */
  public void relay(GroupRelay r) {
    hosting.relay(r);
  }

  private long now() {
    return services.clock().instant().getEpochSecond();
  }

  /** Creates a group with {@code creator} as its only member, from the creator's epoch-0 GroupInfo. */
  public void create(String creator, MlsMessage groupInfo, boolean publicHandshakes, boolean externalJoins)
      throws SQLException, ValidationException {
    GroupInfo gi = groupInfoOf(groupInfo);
    PublicGroup pg = publicHandshakes ? PublicGroup.fromGroupInfo(services, gi, null) : null;
    Bytes gid = gi.groupContext().groupId();
    Object created = db.transaction(c -> {
      if (row(c, gid) != null) {
        return new ValidationException("ds.group-exists", "a group with this id already exists");
      }
      String hub = Federated.hostOf(c, gid);
      if (hub != null) { // so a group known to be hosted elsewhere is never also hosted here (posts to it go straight to its hub)
        return new ValidationException("ds.group-exists", "a group with this id is hosted by " + hub);
      }
      int in = Membership.groupsOf(c, creator);
      if (in >= maxGroupsPerDevice) {
        return new ValidationException("ds.group-limit",
            "this device is in " + in + " groups, the most this DS allows before it creates another (" + maxGroupsPerDevice + ")");
      }
      try (PreparedStatement ins = c.prepareStatement("INSERT INTO ds_groups (group_id, epoch, public_handshakes, external_joins, "
          + "group_info, next_log_seq, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)")) {
        ins.setBytes(1, gid.unsafeArray());
        ins.setLong(2, gi.groupContext().epoch());
        ins.setInt(3, publicHandshakes ? 1 : 0);
        ins.setInt(4, externalJoins ? 1 : 0);
        ins.setBytes(5, groupInfo.toByteArray());
        ins.setLong(6, now());
        ins.executeUpdate();
      }
      Membership.join(c, gid, creator, DeliveryLog.last(c));
      if (pg != null) {
        TreeService.checkpoint(c, gid, gi.groupContext().epoch(), groupInfo.toByteArray(), TreeService.encode(pg));
      } else {
        org.jmls.message.Extension inline = org.jmls.message.Extension.find(gi.extensions(), org.jmls.message.Extension.RATCHET_TREE);
        if (inline != null) {
          // An encrypted-handshake group: the DS keeps the tree from the creator's inline one on.
          TreeService.checkpoint(c, gid, gi.groupContext().epoch(), groupInfo.toByteArray(), inline.extensionData().toByteArray());
        }
      }
      return null;
    });
    if (created instanceof ValidationException e) {
      throw e;
    }
    if (pg != null) {
      verified.put(gid, pg);
    }
  }

  /** The members (device ids) of a group, sorted. */
  public List<String> members(Bytes gid) throws SQLException {
    return db.transaction(c -> Membership.active(c, gid));
  }

  /** The roster the DS holds for a group's current epoch, cached or read (for tests: it must equal {@link #members}). */
  List<String> rosterInUse(Bytes gid) throws SQLException {
    return db.transaction(c -> List.copyOf(membership.at(c, gid, epochOf(c, gid))));
  }

  /** The verified public state of a public-handshake group at its stored epoch (cached per epoch). */
  PublicGroup publicState(Bytes gid, GroupRow r, Connection c) throws SQLException, ValidationException {
    PublicGroup cached = verified.get(gid);
    PublicGroup pg;
    if (cached != null && cached.epoch() == r.epoch()) {
      pg = cached.copy();
    } else {
      // Not cached here (a restart, another node, an epoch this process did not see): rebuilt from
      // the newest tree checkpoint and the handshake log.
      PublicGroup fresh = trees.rebuild(c, gid, r.epoch());
      verified.put(gid, fresh);
      pg = fresh.copy();
    }
    // Replay this epoch's proposals from the log so by-reference commits resolve.
    try (PreparedStatement q = c.prepareStatement(
        "SELECT message FROM ds_group_log WHERE group_id = ? AND epoch = ? AND kind = ? ORDER BY seq")) {
      q.setBytes(1, gid.unsafeArray());
      q.setLong(2, r.epoch());
      q.setInt(3, Kind.PROPOSAL.code);
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          try {
            pg.handle(MlsMessage.fromBytes(rs.getBytes(1)));
          } catch (MlsException e) {
            throw new ValidationException("ds.stored-proposal", "a logged proposal no longer verifies: " + e.getMessage());
          }
        }
      }
    }
    return pg;
  }

  /**
   * Accepts {@code commit} if it is the first valid commit for the group's current epoch; refuses a
   * later one for the same epoch with {@link StaleEpochException}. The commit, its Welcome (to the
   * new members only, and only because the commit won) and the new GroupInfo form one bundle,
   * written in one transaction. In public-handshake groups the commit is verified and the roster
   * derived from it; otherwise {@code added}/{@code removed} (device ids) are taken as declared.
   */
  public Accepted commit(String sender, MlsMessage commit, MlsMessage welcome, MlsMessage groupInfo,
      List<String> added, List<String> removed) throws SQLException, MlsException {
    return commit(sender, commit, welcome, groupInfo, added, removed, null);
  }

  /**
   * As {@link #commit(String, MlsMessage, MlsMessage, MlsMessage, List, List)}, with what an
   * encrypted-handshake commit changed in the tree: the DS applies it to the tree it keeps and
   * refuses the commit (nothing stored) unless the result has the tree hash the committer's
   * GroupInfo signs and that GroupInfo's signature verifies with the signer's leaf in it.
   */
  public Accepted commit(String sender, MlsMessage commit, MlsMessage welcome, MlsMessage groupInfo,
      List<String> added, List<String> removed, TreeChanges changes) throws SQLException, MlsException {
    return hosting.serve(targetOf(commit).gid(), () -> commitHere(sender, commit, welcome, groupInfo, added, removed, changes),
        (relay, hub) -> relay.commit(hub, sender, commit, welcome, groupInfo, added, removed, changes));
  }

  private Accepted commitHere(String sender, MlsMessage commit, MlsMessage welcome, MlsMessage groupInfo,
      List<String> added, List<String> removed, TreeChanges changes) throws SQLException, MlsException {
    if (!(commit.body() instanceof PublicMessage) && !(commit.body() instanceof PrivateMessage)) {
      throw new ValidationException("ds.not-a-commit", "a commit is a PublicMessage or a PrivateMessage");
    }
    Target t = targetOf(commit);
    if (t.type() != ContentType.COMMIT) {
      throw new ValidationException("ds.not-a-commit", "the message is not a commit");
    }
    boolean external = commit.body() instanceof PublicMessage pm && pm.content().sender().senderType() == SenderType.NEW_MEMBER_COMMIT;
    GroupInfo gi = groupInfoOf(groupInfo);
    // 1. Check, outside the ordered writes (verifying a large group's commit takes time).
    Object checked = db.transaction(c -> checks.check(c, sender, commit, gi, t, external, welcome, added, removed, changes));
    if (checked instanceof MlsException e) {
      throw e;
    }
    CommitCheck.CheckedCommit ok = (CommitCheck.CheckedCommit) checked;
    // 2. Write, if nobody committed in between (compare-and-set on the epoch).
    byte[] commitBytes = commit.toByteArray();
    Object result = writes.run((c, appended) -> {
      long epoch = ok.row().epoch();
      try (PreparedStatement u = c.prepareStatement(
          "UPDATE ds_groups SET epoch = ?, group_info = ? WHERE group_id = ? AND epoch = ?")) {
        u.setLong(1, epoch + 1);
        u.setBytes(2, groupInfo.toByteArray());
        u.setBytes(3, t.gid().unsafeArray());
        u.setLong(4, epoch);
        if (u.executeUpdate() != 1) {
          return new StaleEpochException(t.epoch(), epochOf(c, t.gid()));
        }
      }
      GroupRow now = row(c, t.gid());
      long logSeq = appendHandshake(c, t.gid(), now.nextLogSeq(), epoch, Kind.COMMIT, sender, commitBytes);
      if (ok.next() != null && (epoch + 1) % TreeService.CHECKPOINT_EVERY == 0) {
        TreeService.checkpoint(c, t.gid(), epoch + 1, groupInfo.toByteArray(), TreeService.encode(ok.next()));
      }
      if (ok.nextTree() != null) {
        if (ok.changes() != null && (epoch + 1) % TreeService.CHECKPOINT_EVERY != 0) {
          TreeService.storeChanges(c, t.gid(), epoch, ok.changes());
        } else {
          TreeService.checkpoint(c, t.gid(), epoch + 1, groupInfo.toByteArray(),
              new org.jmls.extension.RatchetTree(ok.nextTree()).toByteArray());
        }
      }
      // The numbers last: on PostgreSQL every node's reads wait at this block until the transaction ends.
      boolean welcomes = !ok.welcomeTo().isEmpty();
      long seq = writes.reserve(c, welcomes ? 2 : 1);
      long at = now();
      DeliveryLog.append(c, seq, t.gid(), epoch, Kind.COMMIT, sender, commitBytes, at);
      appended.add(new Appended(seq, t.gid(), Kind.COMMIT, sender, Bytes.wrap(commitBytes), ok.roster()));
      Membership.leave(c, t.gid(), ok.leavers(), seq);
      Membership.join(c, t.gid(), ok.joiners(), welcomes ? seq + 1 : seq);
      if (welcomes) {
        byte[] w = welcome.toByteArray();
        DeliveryLog.addressTo(c, ok.welcomeTo(), seq + 1, t.gid(), Kind.WELCOME, w, at, writes.late());
        appended.add(new Appended(seq + 1, t.gid(), Kind.WELCOME, "", Bytes.wrap(w), Set.copyOf(ok.welcomeTo())));
      }
      return new Accepted(epoch + 1, logSeq);
    });
    if (result instanceof Accepted) {
      writer.epochMoved(t.gid());
    }
    if (result instanceof MlsException e) {
      throw e;
    }
    membership.advance(t.gid(), ok.row().epoch(), ok.roster(), ok.leavers(), ok.joiners());
    if (ok.next() != null) {
      verified.put(t.gid(), ok.next());
    }
    if (ok.nextTree() != null) {
      trees.hold(t.gid(), ok.row().epoch() + 1, ok.nextTree());
    }
    return (Accepted) result;
  }

  /**
   * Posts a proposal (current epoch only) or application message (current or the last {@value
   * #RECENT_EPOCHS} epochs) from a member; it is logged and delivered to every other member.
   * Public-handshake proposals are verified. Returns the handshake log sequence (0 for application
   * messages, which are not in the handshake log).
   */
  public long post(String sender, MlsMessage message) throws SQLException, MlsException {
    return hosting.serve(targetOf(message).gid(), () -> postHere(sender, message),
        (relay, hub) -> relay.post(hub, sender, message));
  }

  private long postHere(String sender, MlsMessage message) throws SQLException, MlsException {
    Target t = targetOf(message);
    if (t.type() == ContentType.COMMIT) {
      throw new ValidationException("ds.commit-via-post", "commits go through the commit endpoint with their bundle");
    }
    if (t.type() == ContentType.APPLICATION) {
      if (!(message.body() instanceof PrivateMessage)) {
        throw new ValidationException("rfc9420-6.2.application-public", "application messages must be PrivateMessages");
      }
      return await(writer.submit(sender, t.gid(), t.epoch(), message.toByteArray()));
    }
    // A proposal: checked first, then written if the epoch has not moved.
    Object checked = db.transaction(c -> {
      GroupRow r = row(c, t.gid());
      if (r == null) {
        return new ValidationException("ds.unknown-group", "no such group");
      }
      Set<String> roster = membership.at(c, t.gid(), r.epoch());
      if (!roster.contains(sender) && !t.newMember()) {
        return new ValidationException("ds.not-a-member", "only members post to a group");
      }
      if (t.epoch() != r.epoch()) {
        return new StaleEpochException(t.epoch(), r.epoch());
      }
      if (r.publicHandshakes()) {
        try {
          publicState(t.gid(), r, c).handle(message);
        } catch (MlsException e) {
          return e;
        }
      }
      return roster;
    });
    if (checked instanceof MlsException e) {
      throw e;
    }
    @SuppressWarnings("unchecked")
    Set<String> roster = (Set<String>) checked;
    byte[] bytes = message.toByteArray();
    Object result = writes.run((c, appended) -> {
      writes.lockGroup(c, t.gid()); // the group's handshake log and epoch, against another node's proposal or commit
      GroupRow r = row(c, t.gid());
      if (r.epoch() != t.epoch()) {
        return new StaleEpochException(t.epoch(), r.epoch());
      }
      long logSeq = appendHandshake(c, t.gid(), r.nextLogSeq(), r.epoch(), Kind.PROPOSAL, sender, bytes);
      long seq = writes.reserve(c, 1);
      DeliveryLog.append(c, seq, t.gid(), r.epoch(), Kind.PROPOSAL, sender, bytes, now());
      appended.add(new Appended(seq, t.gid(), Kind.PROPOSAL, sender, Bytes.wrap(bytes), roster));
      return logSeq;
    });
    if (result instanceof MlsException e) {
      throw e;
    }
    return (Long) result;
  }

  /**
   * As {@link #post}, completing when the message is stored (or failing with why it was refused).
   * Application messages (PrivateMessages) go to the batching writer; handshakes are checked in
   * depth on the caller's thread.
   */
  public CompletableFuture<Long> postAsync(String sender, MlsMessage message) {
    if (message.body() instanceof PrivateMessage pm && pm.contentType() == ContentType.APPLICATION) {
      return hosting.serveAsync(pm.groupId(),
          () -> writer.submit(sender, pm.groupId(), pm.epoch(), message.toByteArray()).thenApply(v -> 0L),
          (relay, hub) -> relay.postAsync(hub, sender, message));
    }
    CompletableFuture<Long> f = new CompletableFuture<>();
    try {
      f.complete(post(sender, message));
    } catch (SQLException | MlsException | RuntimeException e) {
      f.completeExceptionally(e);
    }
    return f;
  }

  private static long await(CompletableFuture<Void> f) throws SQLException, MlsException {
    awaitValue(f);
    return 0;
  }

  private static <T> T awaitValue(CompletableFuture<T> f) throws SQLException, MlsException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while waiting for the write", e);
    } catch (ExecutionException e) {
      Throwable t = e.getCause();
      if (t instanceof MlsException m) {
        throw m;
      }
      if (t instanceof SQLException q) {
        throw q;
      }
      throw new IllegalStateException(t);
    }
  }

  /** Up to {@code limit} messages for {@code client} after {@code afterSeq} and its cursor, in order. */
  public List<Delivery> fetch(String client, long afterSeq, int limit) throws SQLException {
    return read(client, afterSeq, limit).messages();
  }

  /**
   * What a device read: messages in sequence order and the position it has now seen everything up
   * to (the last message's sequence when the read was cut by its limit, else the DS's last sequence
   * at the time of the read, beyond the device's own messages and other groups' traffic).
   * Acknowledging the position, rather than the last message, lets the log be pruned behind a
   * device that mostly sends. {@code expired}: as {@link #expired}, read in the same transaction.
   */
  public record Batch(List<Delivery> messages, long position, List<Bytes> expired) {}

  /** As {@link #fetch}, with the position seen (see {@link Batch}). */
  public Batch read(String client, long afterSeq, int limit) throws SQLException {
    int bounded = Math.max(1, Math.min(limit, 1000));
    return db.transaction(c -> {
      long last = writes.horizon(c);
      List<Delivery> got = DeliveryLog.fetch(c, client, afterSeq, bounded, last, !writes.late());
      long position = got.size() == bounded ? got.get(got.size() - 1).seq() : Math.max(afterSeq, last);
      return new Batch(got, position, DeliveryLog.expired(c, client, afterSeq));
    });
  }

  /**
   * Groups where messages {@code client} had not read (after {@code afterSeq} and its cursor) were
   * deleted by retention: its state there is behind for good, it rejoins by external commit.
   */
  public List<Bytes> expired(String client, long afterSeq) throws SQLException {
    return db.transaction(c -> DeliveryLog.expired(c, client, afterSeq));
  }

  /** Moves {@code client}'s cursor to {@code uptoSeq}; returns how far it moved (in sequence numbers). */
  public long ack(String client, long uptoSeq) throws SQLException {
    try {
      return awaitValue(acks.submit(client, uptoSeq));
    } catch (MlsException e) {
      throw new IllegalStateException("an acknowledgement is never refused", e);
    }
  }

  /** One entry of a group's handshake log. */
  public record LogEntry(long seq, long epoch, Kind kind, String sender, Bytes message) {}

  /**
   * Up to {@code limit} entries of the group's handshake log after {@code afterSeq}, for a member
   * catching up from any point (RFC 9750 §5.2).
   */
  public List<LogEntry> log(String requester, Bytes gid, long afterSeq, int limit) throws SQLException, ValidationException {
    return log(requester, gid, afterSeq, limit, null);
  }

  /**
   * As {@link #log(String, Bytes, long, int)}; with {@code commitEpoch}, only the commit made in that
   * epoch (at most one entry: one commit per epoch).
   */
  public List<LogEntry> log(String requester, Bytes gid, long afterSeq, int limit, Long commitEpoch)
      throws SQLException, ValidationException {
    return hosting.serve(gid, () -> logHere(requester, gid, afterSeq, limit, commitEpoch),
        (relay, hub) -> relay.log(hub, requester, gid, afterSeq, limit, commitEpoch));
  }

  private List<LogEntry> logHere(String requester, Bytes gid, long afterSeq, int limit, Long commitEpoch)
      throws SQLException, ValidationException {
    Object r = db.transaction(c -> {
      if (row(c, gid) == null) {
        return new ValidationException("ds.unknown-group", "no such group");
      }
      if (!Membership.active(c, gid).contains(requester)) {
        return new ValidationException("ds.not-a-member", "only members read a group's log");
      }
      List<LogEntry> out = new ArrayList<>();
      try (PreparedStatement q = c.prepareStatement("SELECT seq, epoch, kind, sender, message FROM ds_group_log "
          + "WHERE group_id = ? AND seq > ?" + (commitEpoch == null ? "" : " AND epoch = ? AND kind = ?") + " ORDER BY seq LIMIT ?")) {
        int i = 1;
        q.setBytes(i++, gid.unsafeArray());
        q.setLong(i++, afterSeq);
        if (commitEpoch != null) {
          q.setLong(i++, commitEpoch);
          q.setInt(i++, Kind.COMMIT.code);
        }
        q.setInt(i, Math.max(1, Math.min(limit, 1000)));
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            out.add(new LogEntry(rs.getLong(1), rs.getLong(2), Kind.of(rs.getInt(3)), rs.getString(4), Bytes.wrap(rs.getBytes(5))));
          }
        }
      }
      return out;
    });
    if (r instanceof ValidationException) {
      throw (ValidationException) r;
    }
    @SuppressWarnings("unchecked")
    List<LogEntry> entries = (List<LogEntry>) r;
    return entries;
  }

  /**
   * Deletes stored messages every reader has acknowledged, and those older than {@code
   * retentionSeconds} whoever has not read them (each such group remembers it, see {@link
   * #expired}); returns how many messages went. The handshake log ({@link #log}) is kept.
   */
  public int pruneQueues(long retentionSeconds) throws SQLException {
    long cutoff = now() - retentionSeconds;
    return db.transaction(c -> DeliveryLog.prune(c, cutoff));
  }

  /** Number of stored message bodies: log entries and items addressed to single devices (metric, tests). */
  public long storedMessages() throws SQLException {
    return db.transaction(DeliveryLog::stored);
  }

  /** The current GroupInfo, for external joins; refused when the group does not allow them. */
  public MlsMessage groupInfo(Bytes gid) throws SQLException, ValidationException {
    return groupInfo("", gid);
  }

  /** As {@link #groupInfo(Bytes)}; {@code requester} is named to the hub when the group is hosted elsewhere. */
  public MlsMessage groupInfo(String requester, Bytes gid) throws SQLException, ValidationException {
    return hosting.serve(gid, () -> groupInfoHere(gid), (relay, hub) -> relay.groupInfo(hub, requester, gid));
  }

  private MlsMessage groupInfoHere(Bytes gid) throws SQLException, ValidationException {
    Object got = db.transaction(c -> {
      GroupRow r = row(c, gid);
      if (r == null) {
        return new ValidationException("ds.unknown-group", "no such group");
      }
      if (!r.externalJoins()) {
        return new ValidationException("ds.external-joins-disabled", "this group does not allow external joins");
      }
      try {
        return storedGroupInfo(c, gid);
      } catch (ValidationException e) {
        return e;
      }
    });
    if (got instanceof ValidationException e) {
      throw e;
    }
    return (MlsMessage) got;
  }

  /**
   * The ratchet tree (encoded {@code optional<Node> ratchet_tree<V>}) of a group at {@code epoch},
   * one of the last {@value TreeService#SERVED_EPOCHS}, for a member (joiners are members once
   * their commit is accepted) or, where external joins are allowed, anyone. Public-handshake groups
   * have every recent epoch's tree (the DS derives it); encrypted-handshake groups only the tree of
   * the current GroupInfo, when its committer uploaded it inline.
   */
  public byte[] tree(String requester, Bytes gid, long epoch) throws SQLException, ValidationException {
    return hosting.serve(gid, () -> treeHere(requester, gid, epoch), (relay, hub) -> relay.tree(hub, requester, gid, epoch));
  }

  /** The group a PublicMessage or PrivateMessage names; null for any other message. */
  public static Bytes groupOf(MlsMessage m) {
    try {
      return GroupRows.targetOf(m).gid();
    } catch (ValidationException notAGroupMessage) {
      return null;
    }
  }

  /** Whether a group hosted here allows external joins (its GroupInfo, and its trees, are for anyone); false if not hosted here. */
  public boolean allowsExternalJoins(Bytes gid) throws SQLException {
    return db.transaction(c -> {
      GroupRow r = row(c, gid);
      return r != null && r.externalJoins();
    });
  }

  private byte[] treeHere(String requester, Bytes gid, long epoch) throws SQLException, ValidationException {
    Object got = db.transaction(c -> {
      GroupRow r = row(c, gid);
      if (r == null) {
        return new ValidationException("ds.unknown-group", "no such group");
      }
      if (!r.externalJoins() && !Membership.active(c, gid).contains(requester)) {
        return new ValidationException("ds.not-a-member", "only members read a group's tree");
      }
      if (epoch > r.epoch() || r.epoch() - epoch > TreeService.SERVED_EPOCHS) {
        return new ValidationException("ds.tree-unavailable", "trees are served for epochs " + Math.max(0, r.epoch()
            - TreeService.SERVED_EPOCHS) + " to " + r.epoch());
      }
      try {
        return trees.tree(c, gid, epoch, r.publicHandshakes(), verified.get(gid));
      } catch (ValidationException e) {
        return e;
      }
    });
    if (got instanceof ValidationException e) {
      throw e;
    }
    return (byte[]) got;
  }

  /** The group's current epoch, or -1 if unknown. */
  public long epoch(Bytes gid) throws SQLException {
    return db.transaction(c -> epochOf(c, gid));
  }
}
