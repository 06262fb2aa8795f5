package org.jmls.federation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.cert.X509CertificateHolder;
import org.jmls.ValidationException;
import org.jmls.as.FederatedCredentialValidator;

/**
 * Which providers this one federates with (RFC 9750 §6.10): its own domain, and for each peer its
 * domain, base URL and the root certificate of its AS. A JSON file:
 *
 * <pre>{@code
 * {"domain": "example.com",
 *  "statusTtlSeconds": 60,
 *  "peers": [{"domain": "example.org", "url": "https://mls.example.org", "asRoot": "example.org-root.pem"}]}
 * }</pre>
 *
 * {@code asRoot} is a file (DER or PEM, relative to the configuration file) or {@code base64:} and
 * the DER inline. {@code statusTtlSeconds} is how long a peer AS's "not revoked" answer is trusted
 * (default 60).
 */
public record FederationConfig(String domain, Map<String, Peer> peers, Duration statusTtl) {
  /**
   * A federated provider: its domain, base URL and the root certificate of its AS, given as is or
   * as a file that may appear after this provider started (two providers started together each
   * write their root as they start; federation with a peer waits until its root is there, then
   * pins it).
   */
  public record Peer(String domain, URI url, FederatedCredentialValidator.RootSource root) {
    public Peer(String domain, URI url, X509CertificateHolder asRoot) {
      this(domain, url, () -> asRoot);
    }

    /** The peer's AS root; refused ({@code fed.peer-unavailable}) while its file is not there. */
    public X509CertificateHolder asRoot() throws ValidationException {
      return root.root();
    }
  }

  /** A peer whose AS root is read from {@code file} the first time it is there (then pinned). */
  public static Peer peerWithRootFile(String domain, URI url, Path file) {
    return new Peer(domain, url, rootFile(domain, file));
  }

  /** A root read from {@code file} the first time it is there, then kept. */
  static FederatedCredentialValidator.RootSource rootFile(String domain, Path file) {
    X509CertificateHolder[] pinned = new X509CertificateHolder[1];
    return () -> {
      synchronized (pinned) {
        if (pinned[0] == null) {
          if (!Files.exists(file)) {
            throw new ValidationException("fed.peer-unavailable", "the AS root of " + domain + " is not there yet (" + file + ")");
          }
          try {
            pinned[0] = certificate(file.getParent(), file.getFileName().toString());
          } catch (IOException | IllegalArgumentException e) {
            throw new ValidationException("fed.peer-unavailable", "the AS root of " + domain + " in " + file + " cannot be read: "
                + e.getMessage());
          }
        }
        return pinned[0];
      }
    };
  }

  private static final String DOMAIN = "[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*";

  public FederationConfig {
    checkDomain(domain, "this provider's domain");
    peers = Map.copyOf(peers);
    for (Map.Entry<String, Peer> e : peers.entrySet()) {
      checkDomain(e.getKey(), "a peer's domain");
      if (e.getKey().equalsIgnoreCase(domain)) {
        throw new IllegalArgumentException("a peer cannot have this provider's own domain " + domain);
      }
      String scheme = e.getValue().url().getScheme();
      if (!"http".equals(scheme) && !"https".equals(scheme)) {
        throw new IllegalArgumentException("the URL of " + e.getKey() + " is not http(s): " + e.getValue().url());
      }
    }
  }

  private static void checkDomain(String d, String what) {
    if (d == null || d.length() > 253 || !d.matches(DOMAIN)) {
      throw new IllegalArgumentException(what + " is not a domain name: " + d);
    }
  }

  /** The peer serving {@code domain}, or null. */
  public Peer peer(String domain) {
    return peers.get(domain);
  }

  /** Reads a configuration file (see the class comment); a clear {@link IllegalArgumentException} for any fault in it. */
  public static FederationConfig read(Path file) throws IOException {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(file.toFile());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(file + " is not JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject() || !root.path("domain").isTextual()) {
      throw new IllegalArgumentException(file + ": a federation file is a JSON object with \"domain\" and \"peers\"");
    }
    Map<String, Peer> peers = new LinkedHashMap<>();
    for (JsonNode p : root.path("peers")) {
      String d = p.path("domain").asText(null);
      String url = p.path("url").asText(null);
      String rootRef = p.path("asRoot").asText(null);
      if (d == null || url == null || rootRef == null) {
        throw new IllegalArgumentException(file + ": every peer has \"domain\", \"url\" and \"asRoot\"");
      }
      if (peers.containsKey(d)) {
        throw new IllegalArgumentException(file + ": peer " + d + " is named twice");
      }
      Path dir = file.toAbsolutePath().getParent();
      peers.put(d, rootRef.startsWith("base64:") ? new Peer(d, URI.create(url.replaceAll("/+$", "")), certificate(dir, rootRef))
          : new Peer(d, URI.create(url.replaceAll("/+$", "")), rootFile(d, dir.resolve(rootRef))));
    }
    long ttl = root.path("statusTtlSeconds").asLong(60);
    if (ttl < 0 || ttl > 86400) {
      throw new IllegalArgumentException(file + ": statusTtlSeconds is 0 to 86400");
    }
    return new FederationConfig(root.path("domain").asText(), peers, Duration.ofSeconds(ttl));
  }

  /** A certificate from {@code base64:DER}, or a DER or PEM file relative to {@code dir}. */
  static X509CertificateHolder certificate(Path dir, String ref) throws IOException {
    byte[] der;
    if (ref.startsWith("base64:")) {
      der = Base64.getDecoder().decode(ref.substring(7));
    } else {
      byte[] raw = Files.readAllBytes(dir.resolve(ref));
      String text = new String(raw, StandardCharsets.US_ASCII);
      int begin = text.indexOf("-----BEGIN CERTIFICATE-----");
      if (begin >= 0) {
        int end = text.indexOf("-----END CERTIFICATE-----", begin);
        der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
      } else {
        der = raw;
      }
    }
    try {
      return new X509CertificateHolder(der);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("the AS root " + ref + " is not an X.509 certificate");
    }
  }

  /** Writes {@code cert} as PEM (what operators exchange). */
  public static String pem(X509CertificateHolder cert) throws IOException {
    return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n";
  }

  /** The peers in a list (for iteration in a stable order). */
  public List<Peer> peerList() {
    List<Peer> out = new ArrayList<>(peers.values());
    out.sort(java.util.Comparator.comparing(Peer::domain));
    return out;
  }
}
