package org.jmls.federation;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.ds.Federated;
import org.jmls.ds.GroupDirectory;
import org.jmls.ds.http.CommitBundle;
import org.jmls.message.MlsMessage;

/**
 * The provider-to-provider routes about groups (all provider-signed):
 *
 * <ul>
 *   <li>at the hub, what followers relay for their devices ({@code ?sender=user@their-domain/device},
 *       part of what their signature covers): {@code POST /fed/relay/messages} (an MLSMessage),
 *       {@code POST /fed/relay/commit} (a commit bundle), {@code GET
 *       /fed/relay/groups/{id}/log|group-info|tree}; answered as the DS answers its own devices.
 *       A follower speaks for its own domain's devices only ({@code fed.forged-sender}), and only
 *       about groups hosted here ({@code fed.not-the-hub});
 *   <li>at a follower, {@code POST /fed/notify} from a hub ({@link Notifier});
 *   <li>{@code POST /fed/wake}: a peer says it is (back) up, so what it is owed is sent at once.
 * </ul>
 */
final class RelayRoutes {
  private RelayRoutes() {}

  static void install(Javalin app, Federation f, GroupDirectory groups, String localDomain) {
    Map<String, java.util.concurrent.Semaphore> waiters = new java.util.concurrent.ConcurrentHashMap<>();
    app.post("/fed/relay/messages", ctx -> {
      String sender = sender(ctx, f.authenticate(ctx));
      MlsMessage m = mls(ctx.bodyAsBytes());
      hostedHere(groups, m);
      ctx.json(Map.of("seq", groups.post(sender, m)));
    });
    app.post("/fed/relay/messages/batch", ctx -> {
      String provider = f.authenticate(ctx);
      Map<?, ?> body;
      try {
        body = JSON.readValue(ctx.bodyAsBytes(), Map.class);
      } catch (java.io.IOException e) {
        throw new ValidationException("fed.request-body", "the body is not a JSON object");
      }
      if (body == null || !(body.get("messages") instanceof List<?> items) || items.isEmpty() || items.size() > 1024) {
        throw new ValidationException("fed.request-field", "'messages' holds 1 to 1024 {sender, data}");
      }
      // Each post is taken (or refused) on its own, all at once through the DS's batched writer; answers in the same order.
      List<java.util.concurrent.CompletableFuture<Map<String, Object>>> answers = new ArrayList<>();
      for (Object o : items) {
        answers.add(postOne(o, provider, groups));
      }
      List<Map<String, Object>> results = new ArrayList<>();
      for (java.util.concurrent.CompletableFuture<Map<String, Object>> a : answers) {
        results.add(a.get());
      }
      ctx.json(Map.of("results", results));
    });
    app.post("/fed/relay/commit", ctx -> {
      String sender = sender(ctx, f.authenticate(ctx));
      CommitBundle b;
      try {
        b = CommitBundle.fromBytes(ctx.bodyAsBytes());
      } catch (DecodeException e) {
        throw new ValidationException("ds.commit-bundle", "the commit bundle does not decode: " + e.getMessage());
      }
      hostedHere(groups, b.commit());
      GroupDirectory.Accepted a = groups.commit(sender, b.commit(), b.welcome(), b.groupInfo(), b.added(), b.removed(), b.treeChanges());
      ctx.json(Map.of("epoch", a.epoch(), "seq", a.logSeq()));
    });
    app.get("/fed/relay/groups/{groupId}/log", ctx -> {
      String sender = sender(ctx, f.authenticateIdempotent(ctx));
      Bytes gid = groupId(ctx, groups);
      long after = ctx.queryParamAsClass("after", Long.class).getOrDefault(0L);
      int limit = Math.min(1000, ctx.queryParamAsClass("limit", Integer.class).getOrDefault(100));
      String ce = ctx.queryParam("commitEpoch");
      Long commitEpoch;
      try {
        commitEpoch = ce == null ? null : Long.parseLong(ce);
      } catch (NumberFormatException e) {
        throw new ValidationException("fed.request-field", "commitEpoch is a number");
      }
      List<Map<String, Object>> out = new ArrayList<>();
      for (GroupDirectory.LogEntry e : groups.log(sender, gid, after, limit, commitEpoch)) {
        out.add(Map.of("seq", e.seq(), "epoch", e.epoch(), "kind", e.kind().name(), "sender", e.sender(),
            "message", Base64.getEncoder().encodeToString(e.message().unsafeArray())));
      }
      ctx.json(Map.of("entries", out));
    });
    app.get("/fed/relay/groups/{groupId}/group-info", ctx -> {
      String sender = sender(ctx, f.authenticateIdempotent(ctx));
      ctx.contentType("message/mls").result(groups.groupInfo(sender, groupId(ctx, groups)).toByteArray());
    });
    app.get("/fed/relay/groups/{groupId}/tree", ctx -> {
      String sender = sender(ctx, f.authenticateIdempotent(ctx));
      Bytes gid = groupId(ctx, groups);
      long epoch = ctx.queryParamAsClass("epoch", Long.class).getOrDefault(-1L);
      byte[] tree = groups.tree(sender, gid, epoch);
      // A tree at a given epoch never changes; a group that allows external joins serves it to anyone.
      ctx.header("Cache-Control", epoch >= 0 && groups.allowsExternalJoins(gid) ? "public, max-age=86400, immutable" : "private, no-store");
      ctx.contentType("application/octet-stream").result(tree);
    });
    app.post("/fed/wake", ctx -> {
      // A peer (re)started: what it is owed goes now, not after the current backoff.
      f.wakeDelivery(f.authenticateIdempotent(ctx));
      ctx.json(Map.of("woken", true));
    });
    app.post("/fed/notify", ctx -> {
      String hub = f.authenticateIdempotent(ctx);
      Delivery.Parsed delivery = Delivery.parse(ctx.bodyAsBytes(), localDomain);
      long previous = delivery.previous();
      if (previous > 0 && !inOrder(hub, previous, groups, waiters)) {
        // The batch before this one never arrived (or was refused): the hub sends again from what was acknowledged.
        throw new ValidationException("fed.out-of-order", "the delivery before this one (up to " + previous + ") is not stored here");
      }
      Federated.Received r = groups.federated().receive(hub, localDomain, delivery.entries());
      ctx.json(Map.of("stored", r.lastSeq(), "refused", r.refused()));
    });
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /**
   * Whether everything from {@code hub} up to {@code previous} is stored here, waiting a little for
   * it; {@code waiters} holds, per hub, the deliveries held so: bounded, so no peer ties up this
   * server's threads.
   */
  private static boolean inOrder(String hub, long previous, GroupDirectory groups, Map<String, java.util.concurrent.Semaphore> waiters)
      throws SQLException, InterruptedException {
    java.util.concurrent.Semaphore slots = waiters.computeIfAbsent(hub, h -> new java.util.concurrent.Semaphore(Delivery.ORDER_WAITERS));
    if (!slots.tryAcquire()) {
      return false;
    }
    try {
      return groups.federated().awaitReceived(hub, previous, Delivery.ORDER_WAIT_MILLIS);
    } finally {
      slots.release();
    }
  }

  /** One post of a batch: its answer ({@code seq}) or its refusal ({@code error}, {@code message}, maybe {@code currentEpoch}). */
  private static java.util.concurrent.CompletableFuture<Map<String, Object>> postOne(Object item, String provider, GroupDirectory groups) {
    try {
      if (!(item instanceof Map<?, ?> m) || !(m.get("sender") instanceof String sender) || !(m.get("data") instanceof String data)) {
        throw new ValidationException("fed.request-field", "a post is {sender, data}");
      }
      if (!provider.equals(Notifier.domainOfDevice(sender))) {
        throw new ValidationException("fed.forged-sender", provider + " relayed a post of " + sender + ", who is not one of its users' devices");
      }
      byte[] bytes;
      try {
        bytes = Base64.getDecoder().decode(data);
      } catch (IllegalArgumentException e) {
        throw new ValidationException("fed.request-field", "a post's data is base64");
      }
      MlsMessage message = mls(bytes);
      hostedHere(groups, message);
      return groups.postAsync(sender, message).handle((seq, err) -> {
        if (err == null) {
          return Map.<String, Object>of("seq", seq);
        }
        Throwable t = org.jmls.service.Futures.cause(err);
        return refusal(t);
      });
    } catch (Exception e) {
      return java.util.concurrent.CompletableFuture.completedFuture(refusal(e));
    }
  }

  private static Map<String, Object> refusal(Throwable t) {
    if (t instanceof org.jmls.ds.StaleEpochException st) {
      return Map.of("error", "ds.stale-epoch", "message", String.valueOf(st.getMessage()), "currentEpoch", st.currentEpoch());
    }
    if (t instanceof ValidationException v) {
      return Map.of("error", v.ruleId(), "message", String.valueOf(v.getMessage()));
    }
    if (t instanceof org.jmls.MlsException m) {
      return Map.of("error", "ds.refused", "message", String.valueOf(m.getMessage()));
    }
    return Map.of("error", "ds.storage", "message", "the message could not be stored; retry");
  }

  /** The device a follower relays for: one of the follower's own users' devices. */
  private static String sender(Context ctx, String provider) throws ValidationException {
    String sender = ctx.queryParam("sender");
    if (sender == null || sender.isEmpty()) {
      throw new ValidationException("fed.request-field", "a relayed request names its device (?sender=user@domain/device)");
    }
    String domain = Notifier.domainOfDevice(sender);
    if (!provider.equals(domain)) {
      throw new ValidationException("fed.forged-sender", provider + " relayed a request of " + sender
          + ", who is not one of its users' devices");
    }
    return sender;
  }

  private static MlsMessage mls(byte[] body) throws ValidationException {
    try {
      return MlsMessage.fromBytes(body);
    } catch (DecodeException e) {
      throw new ValidationException("ds.decode", "the message does not decode: " + e.getMessage());
    }
  }

  private static Bytes groupId(Context ctx, GroupDirectory groups) throws ValidationException, SQLException {
    Bytes gid;
    try {
      gid = Bytes.fromHex(ctx.pathParam("groupId"));
    } catch (IllegalArgumentException e) {
      throw new ValidationException("fed.request-field", "the group id is hexadecimal");
    }
    if (groups.federated().hubOf(gid) != null) {
      throw new ValidationException("fed.not-the-hub", "group " + gid.hex() + " is not hosted by this provider");
    }
    return gid;
  }

  /** Refuses a message about a group this provider follows rather than hosts (no relaying on to a third provider). */
  private static void hostedHere(GroupDirectory groups, MlsMessage m) throws ValidationException, SQLException {
    Bytes gid = GroupDirectory.groupOf(m);
    if (gid != null && groups.federated().hubOf(gid) != null) {
      throw new ValidationException("fed.not-the-hub", "group " + gid.hex() + " is not hosted by this provider");
    }
  }
}
