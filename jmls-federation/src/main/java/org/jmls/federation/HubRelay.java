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
 * A follower's side of {@link GroupRelay}: its devices' posts, commits and reads for a group hosted
 * elsewhere, made at the hub ({@code /fed/relay/...}, provider-signed, the device named by the
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

  @Override
  public long post(String hub, String sender, MlsMessage message) throws MlsException, SQLException {
    Map<?, ?> m = json(hub, ok(hub, send(hub, sender, "POST", "/fed/relay/messages", message.toByteArray(), "message/mls")));
    return m.get("seq") instanceof Number n ? n.longValue() : 0;
  }

  @Override
  public GroupDirectory.Accepted commit(String hub, String sender, MlsMessage commit, MlsMessage welcome, MlsMessage groupInfo,
      List<String> added, List<String> removed, TreeChanges changes) throws MlsException, SQLException {
    byte[] bundle = new CommitBundle(commit, groupInfo, welcome, added, removed, changes).toByteArray();
    Map<?, ?> m = json(hub, ok(hub, send(hub, sender, "POST", "/fed/relay/commit", bundle, CommitBundle.MEDIA_TYPE)));
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

  @Override
  public MlsMessage groupInfo(String hub, String requester, Bytes gid) throws ValidationException, SQLException {
    try {
      return MlsMessage.fromBytes(ok(hub, send(hub, requester, "GET", "/fed/relay/groups/" + gid.hex() + "/group-info", new byte[0],
          "application/json")).body());
    } catch (ValidationException e) {
      throw e;
    } catch (DecodeException e) {
      throw new ValidationException("fed.peer-answer", hub + "'s GroupInfo does not decode");
    } catch (MlsException e) {
      throw new ValidationException("fed.peer-answer", e.getMessage());
    }
  }

  @Override
  public byte[] tree(String hub, String requester, Bytes gid, long epoch) throws ValidationException, SQLException {
    try {
      return ok(hub, send(hub, requester, "GET", "/fed/relay/groups/" + gid.hex() + "/tree?epoch=" + epoch, new byte[0],
          "application/json")).body();
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
