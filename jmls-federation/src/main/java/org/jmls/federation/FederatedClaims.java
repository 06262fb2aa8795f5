package org.jmls.federation;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.as.X509Credentials;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.MlsCrypto;
import org.jmls.ds.KeyPackageDirectory;
import org.jmls.ds.RemoteClients;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackages;
import org.jmls.message.KeyPackage;
import org.jmls.message.MlsMessage;

/**
 * Claims of another provider's users, made at that provider ({@code POST /fed/key-packages/claim})
 * and checked before anyone gets them: each KeyPackage valid now (its signature, and its credential
 * under the root of the peer's domain), its credential naming the device and the user the answer
 * says, that user one of those asked. What passes is recorded ({@link RemoteClients}), so this DS
 * knows the device in the groups it orders and where its Welcome goes. A KeyPackage whose credential
 * the peer's AS has revoked, or which has expired, is left out (the peer's DS may not know yet);
 * an answer with any other fault is refused whole ({@code fed.peer-answer}): the peer, not the
 * asking device, is at fault.
 */
final class FederatedClaims implements RemoteClients.Claims {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Faults of a device's credential that its provider may not have seen yet: the device is skipped, not the answer refused. */
  private static final Set<String> NO_LONGER_VALID = Set.of("as.revoked", "as.expired");

  private final Peers peers;
  private final RemoteClients remote;
  private final GroupServices services;

  FederatedClaims(Peers peers, RemoteClients remote, GroupServices services) {
    this.peers = peers;
    this.remote = remote;
    this.services = services;
  }

  @Override
  public Map<String, List<KeyPackageDirectory.Claimed>> claim(String domain, List<String> users, int suite)
      throws ValidationException, SQLException {
    byte[] body;
    try {
      body = JSON.writeValueAsBytes(Map.of("userIds", users, "cipherSuite", suite));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    Peers.Answer a = peers.send(domain, "POST", "/fed/key-packages/claim", body, "application/json");
    if (a.status() != 200) {
      String rule = "fed.peer-answer";
      String why = new String(a.body(), java.nio.charset.StandardCharsets.UTF_8);
      try {
        Map<?, ?> err = JSON.readValue(a.body(), Map.class);
        why = err.get("error") + ": " + err.get("message");
      } catch (java.io.IOException | RuntimeException ignored) {
        // not JSON: said as it came
      }
      throw new ValidationException(rule, domain + " refused the claim (" + a.status() + ") " + why);
    }
    Set<String> asked = new HashSet<>(users);
    Map<String, List<KeyPackageDirectory.Claimed>> out = new LinkedHashMap<>();
    for (String u : users) {
      out.put(u, new ArrayList<>());
    }
    record Checked(RemoteClients.Remote device, Bytes ref, KeyPackageDirectory.Claimed claimed) {}
    List<Checked> checked = new ArrayList<>();
    long now = services.clock().instant().getEpochSecond();
    try {
      Map<?, ?> m = JSON.readValue(a.body(), Map.class);
      for (Object o : (List<?>) m.get("keyPackages")) {
        Map<?, ?> e = (Map<?, ?>) o;
        String user = (String) e.get("userId");
        String device = (String) e.get("clientId");
        if (!asked.contains(user)) {
          throw new ValidationException("fed.peer-answer", domain + " answered a KeyPackage of " + user + ", who was not asked for");
        }
        Bytes data = Bytes.wrap(Base64.getDecoder().decode((String) e.get("data")));
        MlsMessage msg = MlsMessage.fromBytes(data.unsafeArray());
        if (!(msg.body() instanceof KeyPackage kp) || kp.cipherSuite() != suite || CipherSuite.of(suite) == null) {
          throw new ValidationException("fed.peer-answer", domain + " answered something else than a KeyPackage of suite " + suite);
        }
        MlsCrypto crypto = services.provider().suite(CipherSuite.of(suite));
        try {
          KeyPackages.validate(crypto, services, kp, List.of(), now);
        } catch (ValidationException v) {
          if (NO_LONGER_VALID.contains(v.ruleId())) {
            continue; // revoked or expired since the peer last looked: that device is left out, the others go on
          }
          throw v;
        }
        if (!X509Credentials.user(kp.leafNode().credential()).equals(user)
            || !X509Credentials.client(kp.leafNode().credential()).equals(device)) {
          throw new ValidationException("fed.peer-answer", domain + " answered a KeyPackage whose credential does not name " + device);
        }
        checked.add(new Checked(new RemoteClients.Remote(device, user, domain, kp.leafNode().signatureKey()), KeyPackages.ref(crypto, kp),
            new KeyPackageDirectory.Claimed(device, data, Boolean.TRUE.equals(e.get("lastResort")))));
      }
    } catch (ValidationException e) {
      throw e.ruleId().equals("fed.peer-answer") ? e : new ValidationException("fed.peer-answer",
          domain + " answered a KeyPackage that is not valid here (" + e.ruleId() + "): " + e.getMessage());
    } catch (MlsException | java.io.IOException | RuntimeException e) {
      throw new ValidationException("fed.peer-answer", domain + "'s answer to a claim is not a valid answer: " + e.getMessage());
    }
    for (Checked c : checked) {
      remote.record(c.device(), c.ref(), now);
      out.get(c.device().userId()).add(c.claimed());
    }
    return out;
  }
}
