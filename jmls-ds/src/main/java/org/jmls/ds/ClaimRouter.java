package org.jmls.ds;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jmls.ValidationException;

/**
 * Who answers a KeyPackage claim: this DS's directory for its own provider's users, the user's
 * provider for anyone else's (RFC 9750 §6.10; MIMI's key material request). Without federation
 * every user is local.
 */
public final class ClaimRouter {
  private final KeyPackageDirectory local;
  private volatile String localDomain;
  private volatile RemoteClients.Claims remote;

  public ClaimRouter(KeyPackageDirectory local) {
    this.local = local;
  }

  /** Claims of users outside {@code domain} go to {@code claims}. */
  public void federate(String domain, RemoteClients.Claims claims) {
    this.localDomain = domain;
    this.remote = claims;
  }

  /** The provider domain this DS serves, or null without federation. */
  public String localDomain() {
    return localDomain;
  }

  /** As {@link KeyPackageDirectory#claimAll}, each user's KeyPackages from that user's provider; the answer in the order asked. */
  public Map<String, List<KeyPackageDirectory.Claimed>> claimAll(List<String> users, int suite) throws SQLException, ValidationException {
    String domain = localDomain;
    if (domain == null) {
      return local.claimAll(users, suite);
    }
    Map<String, List<String>> byDomain = new LinkedHashMap<>();
    for (String u : users) {
      int at = u.lastIndexOf('@');
      if (at <= 0 || at == u.length() - 1) {
        throw new ValidationException("ds.request-field", "a user id has the form user@domain: " + u);
      }
      byDomain.computeIfAbsent(u.substring(at + 1), k -> new ArrayList<>()).add(u);
    }
    Map<String, List<KeyPackageDirectory.Claimed>> got = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : byDomain.entrySet()) {
      if (e.getKey().equals(domain)) {
        got.putAll(local.claimAll(e.getValue(), suite));
      } else {
        got.putAll(remote.claim(e.getKey(), e.getValue(), suite));
      }
    }
    Map<String, List<KeyPackageDirectory.Claimed>> out = new LinkedHashMap<>();
    for (String u : users) {
      out.put(u, got.getOrDefault(u, List.of()));
    }
    return out;
  }
}
