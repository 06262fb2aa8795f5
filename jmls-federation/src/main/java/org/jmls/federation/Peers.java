package org.jmls.federation;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.cert.X509CertificateHolder;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.as.ProviderIdentity;
import org.jmls.crypto.CryptoException;

/**
 * The configured peers and how to talk to them: each peer's provider key, taken from its provider
 * certificate ({@code GET /fed/provider}) once that certificate is checked against the peer's
 * configured AS root and domain, and kept until the certificate expires; signed requests to a peer
 * ({@link ProviderRequest}). A peer that cannot be reached is a {@code fed.peer-unavailable}
 * refusal, one that answers what does not verify a {@code fed.peer-answer} one.
 */
public final class Peers {
  private record Key(Bytes key, long notAfterMillis) {}

  private final FederationConfig config;
  private final ProviderIdentitySource self;
  private final Clock clock;
  private final HttpClient http;
  private final Map<String, Key> keys = new ConcurrentHashMap<>();
  private volatile long lastStamp;

  /** This provider's own identity (the AS reissues its certificate daily). */
  @FunctionalInterface
  public interface ProviderIdentitySource {
    ProviderIdentity get() throws IOException;
  }

  public Peers(FederationConfig config, ProviderIdentitySource self, Clock clock) {
    this.config = config;
    this.self = self;
    this.clock = clock;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  public FederationConfig config() {
    return config;
  }

  /** The configured peer of {@code domain}, or a {@code fed.unknown-domain} refusal. */
  public FederationConfig.Peer peer(String domain) throws ValidationException {
    FederationConfig.Peer p = config.peer(domain);
    if (p == null) {
      throw new ValidationException("fed.unknown-domain", "this provider (" + config.domain() + ") does not federate with " + domain);
    }
    return p;
  }

  /** The verified provider key of {@code domain}, fetched when not known or expired. */
  public Bytes keyOf(String domain) throws ValidationException {
    Key k = keys.get(domain);
    long now = clock.millis();
    if (k != null && now < k.notAfterMillis()) {
      return k.key();
    }
    FederationConfig.Peer p = peer(domain);
    byte[] der;
    try {
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(p.url() + "/fed/provider")).timeout(Duration.ofSeconds(10))
          .build(), HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        throw new ValidationException("fed.peer-unavailable", domain + " did not give its provider certificate (" + r.statusCode() + ")");
      }
      der = r.body();
    } catch (IOException e) {
      throw new ValidationException("fed.peer-unavailable", domain + " cannot be reached at " + p.url());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ValidationException("fed.peer-unavailable", "interrupted while reaching " + domain);
    }
    X509CertificateHolder cert;
    try {
      cert = new X509CertificateHolder(der);
    } catch (IOException | RuntimeException e) {
      throw new ValidationException("fed.provider-certificate", domain + "'s provider certificate does not decode");
    }
    Bytes key = ProviderIdentity.verifyCertificate(cert, p.asRoot(), domain, now);
    keys.put(domain, new Key(key, cert.getNotAfter().getTime()));
    return key;
  }

  /** An answer of a peer. */
  /** A peer's answer: status, body, and whether the peer marked it as the same for anyone who asks ({@code Cache-Control: public}). */
  public record Answer(int status, byte[] body, boolean shared) {}

  /** Sends a signed request to the peer of {@code domain}. */
  public Answer send(String domain, String method, String path, byte[] body, String contentType) throws ValidationException {
    FederationConfig.Peer p = peer(domain);
    HttpRequest request;
    try {
      ProviderIdentity me = self.get();
      long ts;
      synchronized (this) { // strictly increasing: two identical requests in one millisecond would be one signature
        ts = Math.max(clock.millis(), lastStamp + 1);
        lastStamp = ts;
      }
      request = HttpRequest.newBuilder(URI.create(p.url() + path)).timeout(Duration.ofSeconds(30))
          .header(ProviderRequest.FROM, config.domain())
          .header(ProviderRequest.TIMESTAMP, Long.toString(ts))
          .header(ProviderRequest.SIGNATURE, ProviderRequest.sign(me.privateKey(), method, path, ts, config.domain(), domain, body))
          .header("Content-Type", contentType)
          .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
          .build();
    } catch (IOException | CryptoException e) {
      throw new IllegalStateException("this provider cannot sign its requests: " + e.getMessage(), e);
    }
    try {
      HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      return new Answer(r.statusCode(), r.body(),
          r.headers().firstValue("Cache-Control").map(v -> v.toLowerCase(java.util.Locale.ROOT).contains("public")).orElse(false));
    } catch (IOException e) {
      throw new ValidationException("fed.peer-unavailable", domain + " cannot be reached at " + p.url());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ValidationException("fed.peer-unavailable", "interrupted while reaching " + domain);
    }
  }
}
