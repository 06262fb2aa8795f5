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
    app.post("/fed/relay/messages", ctx -> {
      String sender = sender(ctx, f.authenticate(ctx));
      MlsMessage m = mls(ctx.bodyAsBytes());
      hostedHere(groups, m);
      ctx.json(Map.of("seq", groups.post(sender, m)));
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
      String sender = sender(ctx, f.authenticate(ctx));
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
      String sender = sender(ctx, f.authenticate(ctx));
      ctx.contentType("message/mls").result(groups.groupInfo(sender, groupId(ctx, groups)).toByteArray());
    });
    app.get("/fed/relay/groups/{groupId}/tree", ctx -> {
      String sender = sender(ctx, f.authenticate(ctx));
      Bytes gid = groupId(ctx, groups);
      long epoch = ctx.queryParamAsClass("epoch", Long.class).getOrDefault(-1L);
      ctx.contentType("application/octet-stream").result(groups.tree(sender, gid, epoch));
    });
    app.post("/fed/wake", ctx -> {
      // A peer (re)started: what it is owed goes now, not after the current backoff.
      f.wakeDelivery(f.authenticate(ctx));
      ctx.json(Map.of("woken", true));
    });
    app.post("/fed/notify", ctx -> {
      String hub = f.authenticate(ctx);
      Federated.Received r = groups.federated().receive(hub, localDomain, Notifier.parse(ctx.bodyAsBytes()));
      ctx.json(Map.of("stored", r.lastSeq(), "refused", r.refused()));
    });
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
    Bytes gid = null;
    if (m.body() instanceof org.jmls.message.PublicMessage pm) {
      gid = pm.content().groupId();
    } else if (m.body() instanceof org.jmls.message.PrivateMessage pm) {
      gid = pm.groupId();
    }
    if (gid != null && groups.federated().hubOf(gid) != null) {
      throw new ValidationException("fed.not-the-hub", "group " + gid.hex() + " is not hosted by this provider");
    }
  }
}
