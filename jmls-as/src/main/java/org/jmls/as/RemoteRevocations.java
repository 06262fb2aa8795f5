package org.jmls.as;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jmls.ValidationException;

/**
 * Revocation status asked of an AS over HTTP ({@code GET /as/status/{serial}}): the AS of this
 * deployment when the DS runs apart from it, or the AS of a federated provider. A revoked answer is
 * final and remembered; a not-revoked one is remembered for {@code ttl} (zero: asked again on
 * every check, so a revocation takes effect at once). An AS that cannot be asked, with no answer
 * still fresh, makes the check fail: the credential is refused, not assumed good.
 */
public final class RemoteRevocations implements X509CredentialValidator.Revocations {
  /** Most answers remembered; beyond, the not-revoked ones are forgotten first. */
  static final int MAX_CACHED = 100_000;

  private final URI asBase;
  private final String authority;
  private final Duration ttl;
  private final Clock clock;
  private final HttpClient http;
  /** Serial → millis until which "not revoked" holds; {@link Long#MAX_VALUE} for revoked (final). */
  private final Map<String, Long> answers = new ConcurrentHashMap<>();

  public RemoteRevocations(URI asBase, String authority, Duration ttl, Clock clock) {
    this.asBase = asBase;
    this.authority = authority;
    this.ttl = ttl;
    this.clock = clock;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @Override
  public boolean isRevoked(String serialHex) throws ValidationException {
    if (!serialHex.matches("[0-9a-f]{1,64}")) {
      throw new ValidationException("as.serial", "a certificate serial is hexadecimal");
    }
    Long until = answers.get(serialHex);
    long now = clock.millis();
    if (until != null && (until == Long.MAX_VALUE || now < until)) {
      return until == Long.MAX_VALUE;
    }
    boolean revoked = ask(serialHex);
    if (answers.size() >= MAX_CACHED) {
      answers.values().removeIf(v -> v != Long.MAX_VALUE);
    }
    if (revoked) {
      answers.put(serialHex, Long.MAX_VALUE);
    } else if (!ttl.isZero()) {
      answers.put(serialHex, now + ttl.toMillis());
    }
    return revoked;
  }

  private boolean ask(String serialHex) throws ValidationException {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(asBase.resolve("/as/status/" + serialHex))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new ValidationException("as.revocation-unavailable", "the revocation status of " + authority
            + " answered " + r.statusCode());
      }
      return !r.body().replace(" ", "").contains("\"revoked\":false");
    } catch (IOException e) {
      throw new ValidationException("as.revocation-unavailable", "the revocation status of " + authority + " is unreachable");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ValidationException("as.revocation-unavailable", "interrupted while asking " + authority);
    }
  }
}
