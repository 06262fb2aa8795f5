package org.jmls.federation;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.ds.GroupDirectory;
import org.jmls.ds.GroupRelay;
import org.jmls.ds.StaleEpochException;
import org.jmls.ds.TreeChanges;
import org.jmls.ds.http.CommitBundle;
import org.jmls.message.MlsMessage;

/**
 * A follower's side of {@link GroupRelay}: its devices' posts (batched), commits and reads for a
 * group hosted elsewhere, made at the hub ({@code /fed/relay/...}, provider-signed, the device named by the
 * signed query parameter {@code sender}). The hub's answer comes back as it was: accepted, a stale epoch (with the current
 * one), or a refusal with the hub's rule; an unreachable hub is {@code fed.peer-unavailable}.
 */
final class HubRelay implements GroupRelay {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Peers peers;

  HubRelay(Peers peers) {
    this.peers = peers;
  }

  /** The device is named in the query, which the provider's signature covers (a header would not be). */
  private Peers.Answer send(String hub, String sender, String method, String path, byte[] body, String type) throws ValidationException {
    String named = path + (path.contains("?") ? "&" : "?") + "sender=" + java.net.URLEncoder.encode(sender, StandardCharsets.UTF_8);
    return peers.send(hub, method, named, body, type);
  }

  /** The hub's answer, or its refusal rethrown as this DS's refusal. */
  private static Peers.Answer ok(String hub, Peers.Answer a) throws MlsException {
    if (a.status() == 200) {
      return a;
    }
    Map<?, ?> err;
    try {
      err = JSON.readValue(a.body(), Map.class);
    } catch (java.io.IOException | RuntimeException e) {
      err = Map.of();
    }
    String rule = err.get("error") instanceof String r ? r : null;
    String message = String.valueOf(err.get("message"));
    if (a.status() >= 500 || rule == null) {
      throw new ValidationException("fed.peer-unavailable", "the group's provider " + hub + " could not take the request ("
          + a.status() + "); retry");
    }
    if ("ds.stale-epoch".equals(rule) && err.get("currentEpoch") instanceof Number current) {
      throw new StaleEpochException(-1, current.longValue());
    }
    throw new ValidationException(rule, message.startsWith(rule + ": ") ? message.substring(rule.length() + 2) : message);
  }

  private static Map<?, ?> json(String hub, Peers.Answer a) throws ValidationException {
    try {
      return JSON.readValue(a.body(), Map.class);
    } catch (java.io.IOException e) {
      throw new ValidationException("fed.peer-answer", hub + " answered what is not JSON");
    }
  }

  /** A post waiting to go to its hub in the next batch. */
  private record Pending(String sender, byte[] message, java.util.concurrent.CompletableFuture<Map<?, ?>> answer) {}

  /** Most posts in one batch to a hub. */
  static final int BATCH = 256;
  /** Batches in flight to one hub at a time. */
  static final int LANES = 4;

  private final Map<String, java.util.concurrent.LinkedBlockingQueue<Pending>> waiting = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Posts go to the hub in batches ({@code POST /fed/relay/messages/batch}): whatever waits when a
   * lane is free goes in one request, up to {@value #BATCH}, so a busy follower makes a few
   * requests for many posts, and a quiet one sends each post at once. Each post gets its own
   * answer.
   */
  @Override
  public long post(String hub, String sender, MlsMessage message) throws MlsException, SQLException {
    try {
      return postAsync(hub, sender, message).get();
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof MlsException me) {
        throw me;
      }
      throw new ValidationException("fed.peer-unavailable", "the group's provider " + hub + " could not take the post: " + e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ValidationException("fed.peer-unavailable", "interrupted while posting to " + hub);
    }
  }

  /** As {@link #post}; no thread waits for the hub: the post's answer completes when its batch's does. */
  @Override
  public java.util.concurrent.CompletableFuture<Long> postAsync(String hub, String sender, MlsMessage message) {
    Pending p = new Pending(sender, message.toByteArray(), new java.util.concurrent.CompletableFuture<>());
    queueOf(hub).add(p);
    return p.answer().orTimeout(60, java.util.concurrent.TimeUnit.SECONDS).handle((m, err) -> {
      if (err != null) {
        Throwable t = org.jmls.service.Futures.cause(err);
        if (t instanceof MlsException) {
          throw new java.util.concurrent.CompletionException(t);
        }
        throw new java.util.concurrent.CompletionException(new ValidationException("fed.peer-unavailable",
            t instanceof java.util.concurrent.TimeoutException ? "the group's provider " + hub + " did not answer in 60 s"
                : "the group's provider " + hub + " could not take the post: " + t));
      }
      if (m.get("error") instanceof String rule) {
        if ("ds.stale-epoch".equals(rule) && m.get("currentEpoch") instanceof Number current) {
          throw new java.util.concurrent.CompletionException(new StaleEpochException(-1, current.longValue()));
        }
        String why = String.valueOf(m.get("message"));
        throw new java.util.concurrent.CompletionException(
            new ValidationException(rule, why.startsWith(rule + ": ") ? why.substring(rule.length() + 2) : why));
      }
      return m.get("seq") instanceof Number n ? n.longValue() : 0L;
    });
  }

  private java.util.concurrent.LinkedBlockingQueue<Pending> queueOf(String hub) {
    return waiting.computeIfAbsent(hub, h -> {
      java.util.concurrent.LinkedBlockingQueue<Pending> q = new java.util.concurrent.LinkedBlockingQueue<>();
      for (int i = 0; i < LANES; i++) {
        Thread t = new Thread(() -> lane(h, q), "jmls-fed-relay-" + h + "-" + i);
        t.setDaemon(true);
        t.start();
      }
      return q;
    });
  }

  private void lane(String hub, java.util.concurrent.LinkedBlockingQueue<Pending> q) {
    List<Pending> batch = new ArrayList<>();
    while (true) {
      try {
        batch.add(q.take());
      } catch (InterruptedException e) {
        return;
      }
      q.drainTo(batch, BATCH - 1);
      try {
        List<Map<String, String>> items = new ArrayList<>();
        for (Pending p : batch) {
          items.add(Map.of("sender", p.sender(), "data", Base64.getEncoder().encodeToString(p.message())));
        }
        Peers.Answer a = peers.send(hub, "POST", "/fed/relay/messages/batch", JSON.writeValueAsBytes(Map.of("messages", items)),
            "application/json");
        if (a.status() != 200) {
          ok(hub, a); // throws the hub's refusal of the whole batch
        }
        List<?> results = (List<?>) json(hub, a).get("results");
        if (results == null || results.size() != batch.size()) {
          throw new ValidationException("fed.peer-answer", hub + " answered " + (results == null ? 0 : results.size()) + " of "
              + batch.size() + " posts");
        }
        for (int i = 0; i < batch.size(); i++) {
          batch.get(i).answer().complete((Map<?, ?>) results.get(i));
        }
      } catch (Exception e) {
        for (Pending p : batch) {
          p.answer().completeExceptionally(e);
        }
      }
      batch.clear();
    }
  }

  @Override
  public GroupDirectory.Accepted commit(String hub, String sender, MlsMessage commit, MlsMessage welcome, MlsMessage groupInfo,
      List<String> added, List<String> removed, TreeChanges changes) throws MlsException, SQLException {
    byte[] bundle = new CommitBundle(commit, groupInfo, welcome, added, removed, changes).toByteArray();
    Map<?, ?> m;
    try {
      m = json(hub, ok(hub, send(hub, sender, "POST", "/fed/relay/commit", bundle, CommitBundle.MEDIA_TYPE)));
    } finally {
      // Taken or lost to another commit: either way the group's GroupInfo may have moved on.
      Bytes gid = GroupDirectory.groupOf(commit);
      if (gid != null) {
        forget(gid);
      }
    }
    if (!(m.get("epoch") instanceof Number epoch) || !(m.get("seq") instanceof Number seq)) {
      throw new ValidationException("fed.peer-answer", hub + " accepted the commit without saying the epoch");
    }
    return new GroupDirectory.Accepted(epoch.longValue(), seq.longValue());
  }

  @Override
  public List<GroupDirectory.LogEntry> log(String hub, String requester, Bytes gid, long afterSeq, int limit, Long commitEpoch)
      throws ValidationException, SQLException {
    String path = "/fed/relay/groups/" + gid.hex() + "/log?after=" + afterSeq + "&limit=" + limit
        + (commitEpoch == null ? "" : "&commitEpoch=" + commitEpoch);
    Map<?, ?> m;
    try {
      m = json(hub, ok(hub, send(hub, requester, "GET", path, new byte[0], "application/json")));
    } catch (ValidationException e) {
      throw e;
    } catch (MlsException e) {
      throw new ValidationException("ds.stale-epoch", e.getMessage());
    }
    List<GroupDirectory.LogEntry> out = new ArrayList<>();
    try {
      for (Object o : (List<?>) m.get("entries")) {
        Map<?, ?> e = (Map<?, ?>) o;
        out.add(new GroupDirectory.LogEntry(((Number) e.get("seq")).longValue(), ((Number) e.get("epoch")).longValue(),
            GroupDirectory.Kind.valueOf((String) e.get("kind")), (String) e.get("sender"),
            Bytes.wrap(Base64.getDecoder().decode((String) e.get("message")))));
      }
    } catch (RuntimeException e) {
      throw new ValidationException("fed.peer-answer", hub + "'s log answer does not decode");
    }
    return out;
  }

  /** How long a follower serves a hub's GroupInfo without asking again (unless a commit of the group comes first). */
  static final long GROUP_INFO_TTL_MILLIS = 10_000;
  /** Most GroupInfos kept; past it the cache starts over. */
  static final int GROUP_INFO_CACHE = 10_000;

  private record CachedInfo(MlsMessage groupInfo, long until) {}

  /**
   * GroupInfos of groups hosted elsewhere, as their hubs served them. A hub serves a GroupInfo only
   * for a group that allows external joins, to anyone who asks, so one copy serves every device
   * here. Kept {@value #GROUP_INFO_TTL_MILLIS} ms, and dropped as soon as a commit of the group is
   * delivered here or relayed from here.
   */
  private final Map<Bytes, CachedInfo> groupInfos = new java.util.concurrent.ConcurrentHashMap<>();

  /** The group changed (a commit): its GroupInfo is asked of the hub again. */
  void forget(Bytes gid) {
    groupInfos.remove(gid);
  }

  @Override
  public MlsMessage groupInfo(String hub, String requester, Bytes gid) throws ValidationException, SQLException {
    CachedInfo cached = groupInfos.get(gid);
    if (cached != null && cached.until() > System.currentTimeMillis()) {
      return cached.groupInfo();
    }
    try {
      MlsMessage gi = MlsMessage.fromBytes(ok(hub, send(hub, requester, "GET", "/fed/relay/groups/" + gid.hex() + "/group-info",
          new byte[0], "application/json")).body());
      if (groupInfos.size() >= GROUP_INFO_CACHE) {
        groupInfos.clear();
      }
      groupInfos.put(gid, new CachedInfo(gi, System.currentTimeMillis() + GROUP_INFO_TTL_MILLIS));
      return gi;
    } catch (ValidationException e) {
      throw e;
    } catch (DecodeException e) {
      throw new ValidationException("fed.peer-answer", hub + "'s GroupInfo does not decode");
    } catch (MlsException e) {
      throw new ValidationException("fed.peer-answer", e.getMessage());
    }
  }

  /** Most bytes of trees kept; past it the cache starts over. */
  static final long TREE_CACHE_BYTES = 64L << 20;

  private record TreeKey(Bytes gid, long epoch) {}

  /**
   * Trees of groups hosted elsewhere that their hub marked as for anyone (groups that allow external
   * joins), by group and epoch: a tree at an epoch never changes, so each is asked of the hub once.
   */
  private final Map<TreeKey, byte[]> trees = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong treeBytes = new java.util.concurrent.atomic.AtomicLong();

  @Override
  public byte[] tree(String hub, String requester, Bytes gid, long epoch) throws ValidationException, SQLException {
    TreeKey key = new TreeKey(gid, epoch);
    byte[] cached = epoch >= 0 ? trees.get(key) : null;
    if (cached != null) {
      return cached;
    }
    try {
      Peers.Answer a = ok(hub, send(hub, requester, "GET", "/fed/relay/groups/" + gid.hex() + "/tree?epoch=" + epoch, new byte[0],
          "application/json"));
      if (a.shared() && epoch >= 0 && a.body().length <= TREE_CACHE_BYTES) {
        if (treeBytes.addAndGet(a.body().length) > TREE_CACHE_BYTES) {
          trees.clear();
          treeBytes.set(a.body().length);
        }
        trees.put(key, a.body());
      }
      return a.body();
    } catch (ValidationException e) {
      throw e;
    } catch (MlsException e) {
      throw new ValidationException("fed.peer-answer", e.getMessage());
    }
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
