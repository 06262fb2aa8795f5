package org.jmls.ds;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.group.GroupServices;
import org.jmls.group.PublicGroup;
import org.jmls.message.ContentType;
import org.jmls.message.EncryptedGroupSecrets;
import org.jmls.message.GroupInfo;
import org.jmls.message.LeafNode;
import org.jmls.message.MlsMessage;
import org.jmls.message.PrivateMessage;
import org.jmls.message.PublicMessage;
import org.jmls.message.SenderType;
import org.jmls.message.Welcome;
import org.jmls.service.Database;

/**
 * Groups on the Delivery Service (RFC 9750 §5.2): strongly consistent ordering (exactly one commit
 * accepted per epoch, compare-and-set on the epoch in the database), the per-group handshake log,
 * and per-device queues with sequence numbers and acknowledgement. In public-handshake groups the
 * DS verifies every commit with jmls-core's {@link PublicGroup} and checks each uploaded GroupInfo
 * against the state it computed; in encrypted-handshake groups it trusts the roster change the
 * committer declares. All state is in the database; a cache only saves re-validating GroupInfos.
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

  /** One queued message for a device. */
  public record Delivery(long seq, Bytes groupId, Kind kind, Bytes message) {}

  /** An accepted commit: the new epoch and its position in the group log. */
  public record Accepted(long epoch, long logSeq) {}

  /** How many epochs back application messages are still accepted. */
  public static final int RECENT_EPOCHS = 3;
  /** Largest group the DS accepts (members after a commit). */
  public static final int DEFAULT_MAX_GROUP_SIZE = 100_000;
  /** How long an unacknowledged queued message is kept (30 days). */
  public static final long DEFAULT_RETENTION_SECONDS = 30L * 86400;

  private volatile int maxGroupSize = DEFAULT_MAX_GROUP_SIZE;

  /** Sets the largest accepted group size (abuse limit). */
  public void maxGroupSize(int n) {
    this.maxGroupSize = n;
  }

  private final Database db;
  private final GroupServices services;
  private final Map<Bytes, PublicGroup> verified = new ConcurrentHashMap<>();
  private volatile java.util.function.Consumer<Set<String>> onEnqueue = ids -> {};
  private final ThreadLocal<Set<String>> touched = ThreadLocal.withInitial(LinkedHashSet::new);

  /** Called after each committed transaction with the devices that received messages (push, long-poll). */
  public void onEnqueue(java.util.function.Consumer<Set<String>> listener) {
    this.onEnqueue = listener;
  }

  private volatile java.util.function.Consumer<Map<String, List<Delivery>>> onDeliveries = m -> onEnqueue.accept(m.keySet());

  /**
   * Called after each committed batch of application messages with what each device received, in
   * sequence order (so a push channel can send it without reading it back). Defaults to the
   * {@link #onEnqueue} listener with the devices.
   */
  public void onDeliveries(java.util.function.Consumer<Map<String, List<Delivery>>> listener) {
    this.onDeliveries = listener;
  }

  private void notifyTouched() {
    Set<String> t = touched.get();
    if (!t.isEmpty()) {
      Set<String> copy = Set.copyOf(t);
      t.clear();
      onEnqueue.accept(copy);
    }
  }

  public GroupDirectory(Database db, GroupServices services) {
    this.db = db;
    this.services = services;
  }

  private long now() {
    return services.clock().instant().getEpochSecond();
  }

  private static GroupInfo groupInfoOf(MlsMessage m) throws ValidationException {
    if (m == null || !(m.body() instanceof GroupInfo)) {
      throw new ValidationException("ds.group-info-required", "a GroupInfo must accompany this request");
    }
    return (GroupInfo) m.body();
  }

  /** Creates a group with {@code creator} as its only member, from the creator's epoch-0 GroupInfo. */
  public void create(String creator, MlsMessage groupInfo, boolean publicHandshakes, boolean externalJoins)
      throws SQLException, ValidationException {
    GroupInfo gi = groupInfoOf(groupInfo);
    if (publicHandshakes) {
      PublicGroup pg = PublicGroup.fromGroupInfo(services, gi, null);
      verified.put(gi.groupContext().groupId(), pg);
    }
    Bytes gid = gi.groupContext().groupId();
    boolean created = db.transaction(c -> {
      if (exists(c, gid)) {
        return false;
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
      addMember(c, gid, creator);
      return true;
    });
    if (!created) {
      throw new ValidationException("ds.group-exists", "a group with this id already exists");
    }
  }

  private static boolean exists(Connection c, Bytes gid) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM ds_groups WHERE group_id = ?")) {
      q.setBytes(1, gid.unsafeArray());
      try (ResultSet rs = q.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static void addMember(Connection c, Bytes gid, String client) throws SQLException {
    try (PreparedStatement del = c.prepareStatement("DELETE FROM ds_group_members WHERE group_id = ? AND client_id = ?")) {
      del.setBytes(1, gid.unsafeArray());
      del.setString(2, client);
      del.executeUpdate();
    }
    try (PreparedStatement ins = c.prepareStatement("INSERT INTO ds_group_members (group_id, client_id) VALUES (?, ?)")) {
      ins.setBytes(1, gid.unsafeArray());
      ins.setString(2, client);
      ins.executeUpdate();
    }
  }

  private record GroupRow(long epoch, boolean publicHandshakes, boolean externalJoins, byte[] groupInfo, long nextLogSeq) {}

  private static GroupRow row(Connection c, Bytes gid) throws SQLException {
    try (PreparedStatement q = c.prepareStatement(
        "SELECT epoch, public_handshakes, external_joins, group_info, next_log_seq FROM ds_groups WHERE group_id = ?")) {
      q.setBytes(1, gid.unsafeArray());
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? new GroupRow(rs.getLong(1), rs.getInt(2) == 1, rs.getInt(3) == 1, rs.getBytes(4), rs.getLong(5)) : null;
      }
    }
  }

  /** The members (device ids) of a group. */
  public List<String> members(Bytes gid) throws SQLException {
    return db.transaction(c -> members(c, gid));
  }

  private static List<String> members(Connection c, Bytes gid) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement q = c.prepareStatement("SELECT client_id FROM ds_group_members WHERE group_id = ? ORDER BY client_id")) {
      q.setBytes(1, gid.unsafeArray());
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  private static String clientWithKey(Connection c, Bytes signatureKey) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT client_id FROM ds_clients WHERE signature_key = ?")) {
      q.setBytes(1, signatureKey.unsafeArray());
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private static Set<String> clientsOf(Connection c, Map<Integer, LeafNode> leaves) throws SQLException {
    Set<String> out = new LinkedHashSet<>();
    for (LeafNode leaf : leaves.values()) {
      String id = clientWithKey(c, leaf.signatureKey());
      if (id != null) {
        out.add(id);
      }
    }
    return out;
  }

  private static String clientWithKeyPackage(Connection c, Bytes ref) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT client_id FROM ds_key_packages WHERE ref = ?")) {
      q.setBytes(1, ref.unsafeArray());
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private static long appendLog(Connection c, Bytes gid, long seq, long epoch, Kind kind, String sender, byte[] msg)
      throws SQLException {
    try (PreparedStatement ins = c.prepareStatement(
        "INSERT INTO ds_group_log (group_id, seq, epoch, kind, sender, message) VALUES (?, ?, ?, ?, ?, ?)")) {
      ins.setBytes(1, gid.unsafeArray());
      ins.setLong(2, seq);
      ins.setLong(3, epoch);
      ins.setInt(4, kind.code);
      ins.setString(5, sender);
      ins.setBytes(6, msg);
      ins.executeUpdate();
    }
    try (PreparedStatement u = c.prepareStatement("UPDATE ds_groups SET next_log_seq = ? WHERE group_id = ?")) {
      u.setLong(1, seq + 1);
      u.setBytes(2, gid.unsafeArray());
      u.executeUpdate();
    }
    return seq;
  }

  /**
   * Queues {@code msg} for every one of {@code recipients} but {@code except} (may be null): the
   * body is stored once and each queue row refers to it, so a commit to a large group is written
   * once, not once per member.
   */
  private void enqueue(Connection c, java.util.Collection<String> recipients, String except, Bytes gid, Kind kind, byte[] msg)
      throws SQLException {
    long id = nextBodyId(c);
    long now = now();
    storeBody(c, id, gid, msg, now);
    Map<String, long[]> heads = new java.util.LinkedHashMap<>();
    try (PreparedStatement ins = c.prepareStatement(QUEUE_INSERT)) {
      for (String m : recipients) {
        if (m.equals(except)) {
          continue;
        }
        long[] head = heads.get(m);
        if (head == null) {
          head = readHead(c, m);
          heads.put(m, head);
        }
        addQueueRow(ins, m, head[0]++, gid, kind, now, id);
        touched.get().add(m);
      }
      ins.executeBatch();
    }
    writeHeads(c, heads);
  }

  private static final String QUEUE_INSERT =
      "INSERT INTO ds_queue (client_id, seq, group_id, kind, message, enqueued_at, message_id) VALUES (?, ?, ?, ?, ?, ?, ?)";
  private static final byte[] NO_BODY = new byte[0];

  private static void addQueueRow(PreparedStatement ins, String client, long seq, Bytes gid, Kind kind, long now, long bodyId)
      throws SQLException {
    ins.setString(1, client);
    ins.setLong(2, seq);
    ins.setBytes(3, gid.unsafeArray());
    ins.setInt(4, kind.code);
    ins.setBytes(5, NO_BODY);
    ins.setLong(6, now);
    ins.setLong(7, bodyId);
    ins.addBatch();
  }

  /** The next free id of a stored body (one writer per transaction; concurrent ones conflict and retry). */
  private static long nextBodyId(Connection c) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT COALESCE(MAX(id), 0) FROM ds_messages");
        ResultSet rs = q.executeQuery()) {
      rs.next();
      return rs.getLong(1) + 1;
    }
  }

  private static final String BODY_INSERT = "INSERT INTO ds_messages (id, group_id, message, enqueued_at) VALUES (?, ?, ?, ?)";

  private static void storeBody(Connection c, long id, Bytes gid, byte[] msg, long now) throws SQLException {
    try (PreparedStatement ins = c.prepareStatement(BODY_INSERT)) {
      addBody(ins, id, gid, msg, now);
      ins.executeBatch();
    }
  }

  private static void addBody(PreparedStatement ins, long id, Bytes gid, byte[] msg, long now) throws SQLException {
    ins.setLong(1, id);
    ins.setBytes(2, gid.unsafeArray());
    ins.setBytes(3, msg);
    ins.setLong(4, now);
    ins.addBatch();
  }

  /** Writes back queue heads read with {@link #readHead} and advanced: {next seq, 1 if the row exists}. */
  private static void writeHeads(Connection c, Map<String, long[]> heads) throws SQLException {
    try (PreparedStatement up = c.prepareStatement("UPDATE ds_queue_heads SET next_seq = ? WHERE client_id = ?");
        PreparedStatement add = c.prepareStatement("INSERT INTO ds_queue_heads (client_id, next_seq) VALUES (?, ?)")) {
      for (Map.Entry<String, long[]> e : heads.entrySet()) {
        if (e.getValue()[1] == 1) {
          up.setLong(1, e.getValue()[0]);
          up.setString(2, e.getKey());
          up.addBatch();
        } else {
          add.setString(1, e.getKey());
          add.setLong(2, e.getValue()[0]);
          add.addBatch();
        }
      }
      up.executeBatch();
      add.executeBatch();
    }
  }


  /** The verified public state of a public-handshake group at its stored epoch (cached per epoch). */
  private PublicGroup publicState(Bytes gid, GroupRow r, Connection c) throws SQLException, ValidationException {
    PublicGroup cached = verified.get(gid);
    PublicGroup pg;
    if (cached != null && cached.epoch() == r.epoch()) {
      pg = cached.copy();
    } else {
      try {
        GroupInfo gi = groupInfoOf(MlsMessage.fromBytes(r.groupInfo()));
        PublicGroup fresh = PublicGroup.fromGroupInfo(services, gi, null);
        verified.put(gid, fresh);
        pg = fresh.copy();
      } catch (DecodeException e) {
        throw new ValidationException("ds.stored-group-info", "the stored GroupInfo does not decode");
      }
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
    Bytes gid;
    long epoch;
    boolean external;
    if (commit.body() instanceof PublicMessage) {
      PublicMessage pm = (PublicMessage) commit.body();
      gid = pm.content().groupId();
      epoch = pm.content().epoch();
      external = pm.content().sender().senderType() == SenderType.NEW_MEMBER_COMMIT;
      if (pm.content().contentType() != ContentType.COMMIT) {
        throw new ValidationException("ds.not-a-commit", "the message is not a commit");
      }
    } else if (commit.body() instanceof PrivateMessage) {
      PrivateMessage pm = (PrivateMessage) commit.body();
      gid = pm.groupId();
      epoch = pm.epoch();
      external = false;
      if (pm.contentType() != ContentType.COMMIT) {
        throw new ValidationException("ds.not-a-commit", "the message is not a commit");
      }
    } else {
      throw new ValidationException("ds.not-a-commit", "a commit is a PublicMessage or a PrivateMessage");
    }
    GroupInfo gi = groupInfoOf(groupInfo);
    final Bytes groupId = gid;
    // The verified next state is cached only after the transaction committed: a transaction that
    // is rolled back and retried must not leave the state of a commit that did not win.
    PublicGroup[] next = new PublicGroup[1];
    touched.get().clear();
    Object result = db.transaction(c -> {
      next[0] = null;
      GroupRow r = row(c, groupId);
      if (r == null) {
        return new ValidationException("ds.unknown-group", "no such group");
      }
      List<String> roster = members(c, groupId);
      if (external) {
        if (!r.externalJoins()) {
          return new ValidationException("ds.external-joins-disabled", "this group does not allow external joins");
        }
      } else if (!roster.contains(sender)) {
        return new ValidationException("ds.not-a-member", "only members post to a group");
      }
      if (epoch != r.epoch()) {
        return new StaleEpochException(epoch, r.epoch());
      }
      Set<String> joiners = new LinkedHashSet<>();
      Set<String> leavers = new LinkedHashSet<>();
      if (r.publicHandshakes()) {
        if (!(commit.body() instanceof PublicMessage)) {
          return new ValidationException("ds.handshake-mode", "this group's handshakes are PublicMessages");
        }
        try {
          PublicGroup pg = publicState(groupId, r, c);
          Set<String> before = clientsOf(c, pg.members());
          pg.handle(commit);
          pg.checkGroupInfo(gi);
          // The roster follows the tree: devices whose leaves left or arrived (a resync keeps the device).
          Set<String> after = clientsOf(c, pg.members());
          for (String id : before) {
            if (!after.contains(id)) {
              leavers.add(id);
            }
          }
          for (String id : after) {
            if (!before.contains(id)) {
              joiners.add(id);
            }
          }
          if (external && after.contains(sender)) {
            joiners.add(sender);
          }
          next[0] = pg;
        } catch (MlsException e) {
          return e;
        }
      } else {
        if (!gi.groupContext().groupId().equals(groupId) || gi.groupContext().epoch() != r.epoch() + 1) {
          return new ValidationException("ds.group-info-epoch", "the GroupInfo is not for the new epoch of this group");
        }
        joiners.addAll(added);
        leavers.addAll(removed);
        if (external) {
          joiners.add(sender);
        }
      }
      // Compare-and-set on the epoch: only one commit per epoch can match.
      try (PreparedStatement u = c.prepareStatement(
          "UPDATE ds_groups SET epoch = ?, group_info = ? WHERE group_id = ? AND epoch = ?")) {
        u.setLong(1, r.epoch() + 1);
        u.setBytes(2, groupInfo.toByteArray());
        u.setBytes(3, groupId.unsafeArray());
        u.setLong(4, r.epoch());
        if (u.executeUpdate() != 1) {
          return new StaleEpochException(epoch, r.epoch() + 1);
        }
      }
      byte[] commitBytes = commit.toByteArray();
      long seq = appendLog(c, groupId, r.nextLogSeq(), r.epoch(), Kind.COMMIT, sender, commitBytes);
      enqueue(c, roster, sender, groupId, Kind.COMMIT, commitBytes);
      Set<String> after = new LinkedHashSet<>(roster);
      after.removeAll(leavers);
      after.addAll(joiners);
      if (after.size() > maxGroupSize) {
        return new ValidationException("ds.group-too-large", "groups on this DS hold at most " + maxGroupSize + " members");
      }
      for (String l : leavers) {
        try (PreparedStatement d = c.prepareStatement("DELETE FROM ds_group_members WHERE group_id = ? AND client_id = ?")) {
          d.setBytes(1, groupId.unsafeArray());
          d.setString(2, l);
          d.executeUpdate();
        }
      }
      for (String j : joiners) {
        addMember(c, groupId, j);
      }
      if (welcome != null && welcome.body() instanceof Welcome) {
        Set<String> recipients = new LinkedHashSet<>();
        for (EncryptedGroupSecrets s : ((Welcome) welcome.body()).secrets()) {
          String id = clientWithKeyPackage(c, s.newMember());
          if (id != null) {
            recipients.add(id);
          }
        }
        enqueue(c, recipients, null, groupId, Kind.WELCOME, welcome.toByteArray());
      }
      return new Accepted(r.epoch() + 1, seq);
    });
    if (result instanceof MlsException) {
      touched.get().clear();
      throw (MlsException) result;
    }
    if (next[0] != null) {
      verified.put(groupId, next[0]);
    }
    notifyTouched();
    return (Accepted) result;
  }

  /**
   * Posts a proposal (current epoch only) or application message (current or the last {@value
   * #RECENT_EPOCHS} epochs) from a member; it is logged (proposals) and queued for every other
   * member. Public-handshake proposals are verified. Returns the log sequence (0 for application
   * messages, which are not logged).
   */
  public long post(String sender, MlsMessage message) throws SQLException, MlsException {
    Bytes gid;
    long epoch;
    ContentType type;
    if (message.body() instanceof PublicMessage) {
      PublicMessage pm = (PublicMessage) message.body();
      gid = pm.content().groupId();
      epoch = pm.content().epoch();
      type = pm.content().contentType();
    } else if (message.body() instanceof PrivateMessage) {
      PrivateMessage pm = (PrivateMessage) message.body();
      gid = pm.groupId();
      epoch = pm.epoch();
      type = pm.contentType();
    } else {
      throw new ValidationException("ds.wire-format", "only PublicMessage and PrivateMessage are posted to a group");
    }
    if (type == ContentType.COMMIT) {
      throw new ValidationException("ds.commit-via-post", "commits go through the commit endpoint with their bundle");
    }
    if (type == ContentType.APPLICATION) {
      if (!(message.body() instanceof PrivateMessage pm)) {
        throw new ValidationException("rfc9420-6.2.application-public", "application messages must be PrivateMessages");
      }
      return await(queueApplication(sender, pm, message));
    }
    touched.get().clear();
    Object result = db.transaction(c -> {
      GroupRow r = row(c, gid);
      if (r == null) {
        return new ValidationException("ds.unknown-group", "no such group");
      }
      List<String> roster = members(c, gid);
      boolean newMemberProposal = message.body() instanceof PublicMessage
          && ((PublicMessage) message.body()).content().sender().senderType() != SenderType.MEMBER;
      if (!roster.contains(sender) && !newMemberProposal) {
        return new ValidationException("ds.not-a-member", "only members post to a group");
      }
      long seq = 0;
      if (type == ContentType.PROPOSAL) {
        if (epoch != r.epoch()) {
          return new StaleEpochException(epoch, r.epoch());
        }
        if (r.publicHandshakes()) {
          try {
            PublicGroup pg = publicState(gid, r, c);
            pg.handle(message);
          } catch (MlsException e) {
            return e;
          }
        }
        seq = appendLog(c, gid, r.nextLogSeq(), r.epoch(), Kind.PROPOSAL, sender, message.toByteArray());
      } else if (epoch > r.epoch() || r.epoch() - epoch > RECENT_EPOCHS) {
        return new ValidationException("ds.epoch-too-old", "application messages are accepted for the last " + RECENT_EPOCHS + " epochs");
      }
      Kind kind = type == ContentType.PROPOSAL ? Kind.PROPOSAL : Kind.APPLICATION;
      enqueue(c, roster, sender, gid, kind, message.toByteArray());
      return seq;
    });
    if (result instanceof MlsException) {
      touched.get().clear();
      throw (MlsException) result;
    }
    notifyTouched();
    return (Long) result;
  }

  // ------------------------------------------------------------------ application messages, batched

  /** Most application messages written in one transaction. */
  static final int BATCH = 512;

  /** An application message waiting for the batch writer. */
  private static final class PendingPost {
    final String sender;
    final Bytes gid;
    final long epoch;
    final byte[] message;
    final java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();

    PendingPost(String sender, Bytes gid, long epoch, byte[] message) {
      this.sender = sender;
      this.gid = gid;
      this.epoch = epoch;
      this.message = message;
    }
  }

  private final java.util.concurrent.LinkedBlockingQueue<PendingPost> posts = new java.util.concurrent.LinkedBlockingQueue<>();
  private Thread writer;

  /**
   * As {@link #post}, completing when the message is stored (or failing with why it was refused).
   * Application messages (PrivateMessages) go to the writer, which commits whatever has gathered
   * (up to {@value #BATCH}) in one transaction; each message is checked on its own, so one refusal
   * does not affect the others in its batch. Under load this turns thousands of small transactions
   * into a few large ones. Other messages are posted on the caller's thread.
   */
  public java.util.concurrent.CompletableFuture<Long> postAsync(String sender, MlsMessage message) {
    if (message.body() instanceof PrivateMessage pm && pm.contentType() == ContentType.APPLICATION) {
      return queueApplication(sender, pm, message);
    }
    // Handshake messages (and refusals) are rare and checked in depth: the caller's thread does it.
    java.util.concurrent.CompletableFuture<Long> f = new java.util.concurrent.CompletableFuture<>();
    try {
      f.complete(post(sender, message));
    } catch (SQLException | MlsException | RuntimeException e) {
      f.completeExceptionally(e);
    }
    return f;
  }

  private java.util.concurrent.CompletableFuture<Long> queueApplication(String sender, PrivateMessage pm, MlsMessage message) {
    PendingPost p = new PendingPost(sender, pm.groupId(), pm.epoch(), message.toByteArray());
    posts.add(p);
    synchronized (this) {
      if (writer == null) {
        writer = new Thread(this::writeLoop, "jmls-ds-writer");
        writer.setDaemon(true);
        writer.start();
      }
    }
    return p.done.thenApply(v -> 0L);
  }

  private static long await(java.util.concurrent.CompletableFuture<Long> f) throws SQLException, MlsException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while waiting for the write", e);
    } catch (java.util.concurrent.ExecutionException e) {
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

  private void writeLoop() {
    List<PendingPost> batch = new ArrayList<>();
    while (true) {
      batch.clear();
      try {
        PendingPost first = posts.poll(5, java.util.concurrent.TimeUnit.SECONDS);
        if (first == null) {
          synchronized (this) {
            if (posts.isEmpty()) {
              writer = null; // idle: a later post starts a new writer
              return;
            }
          }
          continue;
        }
        batch.add(first);
      } catch (InterruptedException e) {
        synchronized (this) {
          writer = null;
        }
        return;
      }
      posts.drainTo(batch, BATCH - 1);
      Map<PendingPost, MlsException> refused = new java.util.HashMap<>();
      Map<String, List<Delivery>> reached = new java.util.LinkedHashMap<>();
      try {
        db.transaction(c -> {
          refused.clear();
          reached.clear();
          writeBatch(c, batch, refused, reached);
          return null;
        });
      } catch (SQLException | RuntimeException e) {
        batch.forEach(p -> p.done.completeExceptionally(e));
        continue;
      }
      for (PendingPost p : batch) {
        MlsException why = refused.get(p);
        if (why != null) {
          p.done.completeExceptionally(why);
        } else {
          p.done.complete(null);
        }
      }
      if (!reached.isEmpty()) {
        onDeliveries.accept(reached);
      }
    }
  }

  /** One transaction's worth: per message, the same checks as a single post; queue heads read and written once per device. */
  private void writeBatch(Connection c, List<PendingPost> batch, Map<PendingPost, MlsException> refused,
      Map<String, List<Delivery>> reached)
      throws SQLException {
    Map<Bytes, GroupRow> rows = new java.util.HashMap<>();
    Map<Bytes, List<String>> rosters = new java.util.HashMap<>();
    Map<String, long[]> heads = new java.util.LinkedHashMap<>(); // device -> {next seq, 1 if its head row exists}
    long now = now();
    long nextId = nextBodyId(c);
    try (PreparedStatement ins = c.prepareStatement(QUEUE_INSERT);
        PreparedStatement msg = c.prepareStatement(BODY_INSERT)) {
      for (PendingPost p : batch) {
        GroupRow r = rows.containsKey(p.gid) ? rows.get(p.gid) : row(c, p.gid);
        rows.put(p.gid, r);
        if (r == null) {
          refused.put(p, new ValidationException("ds.unknown-group", "no such group"));
          continue;
        }
        List<String> roster = rosters.get(p.gid);
        if (roster == null) {
          roster = rosterAt(c, p.gid, r.epoch());
          rosters.put(p.gid, roster);
        }
        if (!roster.contains(p.sender)) {
          refused.put(p, new ValidationException("ds.not-a-member", "only members post to a group"));
          continue;
        }
        if (p.epoch > r.epoch() || r.epoch() - p.epoch > RECENT_EPOCHS) {
          refused.put(p, new ValidationException("ds.epoch-too-old",
              "application messages are accepted for the last " + RECENT_EPOCHS + " epochs"));
          continue;
        }
        long id = nextId++;
        Bytes body = Bytes.wrap(p.message);
        addBody(msg, id, p.gid, p.message, now);
        for (String m : roster) {
          if (m.equals(p.sender)) {
            continue;
          }
          long[] head = heads.get(m);
          if (head == null) {
            head = readHead(c, m);
            heads.put(m, head);
          }
          addQueueRow(ins, m, head[0]++, p.gid, Kind.APPLICATION, now, id);
          reached.computeIfAbsent(m, k -> new ArrayList<>()).add(new Delivery(head[0] - 1, p.gid, Kind.APPLICATION, body));
        }
      }
      msg.executeBatch();
      ins.executeBatch();
    }
    writeHeads(c, heads);
  }

  /**
   * Rosters by group and epoch. Membership changes only with a commit, which moves the epoch in the
   * same transaction, so a roster read for an epoch stays right for that epoch in every process.
   */
  private final Map<Bytes, Roster> rosterCache = new ConcurrentHashMap<>();

  private record Roster(long epoch, List<String> members) {}

  private List<String> rosterAt(Connection c, Bytes gid, long epoch) throws SQLException {
    Roster cached = rosterCache.get(gid);
    if (cached != null && cached.epoch() == epoch) {
      return cached.members();
    }
    List<String> roster = List.copyOf(members(c, gid));
    if (rosterCache.size() > 100_000) {
      rosterCache.clear();
    }
    rosterCache.put(gid, new Roster(epoch, roster));
    return roster;
  }

  private static long[] readHead(Connection c, String client) throws SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT next_seq FROM ds_queue_heads WHERE client_id = ?")) {
      q.setString(1, client);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? new long[] {rs.getLong(1), 1} : new long[] {1, 0};
      }
    }
  }

  /** Up to {@code limit} queued messages of {@code client} after sequence {@code afterSeq}, in order. */
  public List<Delivery> fetch(String client, long afterSeq, int limit) throws SQLException {
    return db.transaction(c -> {
      List<Delivery> out = new ArrayList<>();
      try (PreparedStatement q = c.prepareStatement(
          "SELECT q.seq, q.group_id, q.kind, CASE WHEN q.message_id IS NULL THEN q.message ELSE m.message END"
              + " FROM ds_queue q LEFT JOIN ds_messages m ON m.id = q.message_id"
              + " WHERE q.client_id = ? AND q.seq > ? ORDER BY q.seq LIMIT ?")) {
        q.setString(1, client);
        q.setLong(2, afterSeq);
        q.setInt(3, Math.max(1, Math.min(limit, 1000)));
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            out.add(new Delivery(rs.getLong(1), Bytes.wrap(rs.getBytes(2)), Kind.of(rs.getInt(3)), Bytes.wrap(rs.getBytes(4))));
          }
        }
      }
      return out;
    });
  }

  /** Removes {@code client}'s queued messages up to and including {@code uptoSeq}. */
  public int ack(String client, long uptoSeq) throws SQLException {
    return db.transaction(c -> {
      try (PreparedStatement d = c.prepareStatement("DELETE FROM ds_queue WHERE client_id = ? AND seq <= ?")) {
        d.setString(1, client);
        d.setLong(2, uptoSeq);
        return d.executeUpdate();
      }
    });
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
    Object r = db.transaction(c -> {
      if (row(c, gid) == null) {
        return new ValidationException("ds.unknown-group", "no such group");
      }
      if (!members(c, gid).contains(requester)) {
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
   * Deletes queued messages older than {@code retentionSeconds}, then the shared message bodies no
   * queue refers to any more (every id below the smallest one still referenced); returns how many
   * queue entries went.
   */
  public int pruneQueues(long retentionSeconds) throws SQLException {
    long cutoff = now() - retentionSeconds;
    return db.transaction(c -> {
      int n;
      try (PreparedStatement d = c.prepareStatement("DELETE FROM ds_queue WHERE enqueued_at < ?")) {
        d.setLong(1, cutoff);
        n = d.executeUpdate();
      }
      try (PreparedStatement d = c.prepareStatement("DELETE FROM ds_messages WHERE id < COALESCE("
          + "(SELECT MIN(message_id) FROM ds_queue WHERE message_id IS NOT NULL), (SELECT MAX(id) + 1 FROM ds_messages))")) {
        d.executeUpdate();
      }
      return n;
    });
  }

  /** Number of stored shared message bodies (operator metric and tests). */
  public long storedMessages() throws SQLException {
    return db.transaction(c -> {
      try (PreparedStatement q = c.prepareStatement("SELECT COUNT(*) FROM ds_messages"); ResultSet rs = q.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  /** The current GroupInfo, for external joins; refused when the group does not allow them. */
  public MlsMessage groupInfo(Bytes gid) throws SQLException, ValidationException {
    GroupRow r = db.transaction(c -> row(c, gid));
    if (r == null) {
      throw new ValidationException("ds.unknown-group", "no such group");
    }
    if (!r.externalJoins()) {
      throw new ValidationException("ds.external-joins-disabled", "this group does not allow external joins");
    }
    try {
      return MlsMessage.fromBytes(r.groupInfo());
    } catch (DecodeException e) {
      throw new ValidationException("ds.stored-group-info", "the stored GroupInfo does not decode");
    }
  }

  /** The group's current epoch, or -1 if unknown. */
  public long epoch(Bytes gid) throws SQLException {
    GroupRow r = db.transaction(c -> row(c, gid));
    return r == null ? -1 : r.epoch();
  }
}
