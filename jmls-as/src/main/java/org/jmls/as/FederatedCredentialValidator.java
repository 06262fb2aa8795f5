package org.jmls.as;

import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;
import org.bouncycastle.cert.X509CertificateHolder;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.group.CredentialValidator;
import org.jmls.message.Credential;

/**
 * Credentials across providers (RFC 9750 §6.10): a credential naming {@code user@D} is checked
 * against the AS of domain D, and only against it. This provider's own domain goes to its own
 * validator; each federated peer's domain to the root certificate configured for that peer, with
 * revocation asked of the peer's AS ({@link RemoteRevocations}); any other domain is refused
 * ({@code fed.unknown-domain}). A peer's root that certified a user of another domain does not
 * make that credential valid: the domain in the credential picks the root.
 */
public final class FederatedCredentialValidator implements CredentialValidator {
  /** Where a peer's root certificate comes from (a file that may appear after startup); refuses while it is not there. */
  @FunctionalInterface
  public interface RootSource {
    X509CertificateHolder root() throws ValidationException;
  }

  /** A federated provider's AS: its root certificate and where to ask about revocations. */
  public record PeerAuthority(RootSource root, X509CredentialValidator.Revocations revocations) {
    public PeerAuthority(X509CertificateHolder fixed, X509CredentialValidator.Revocations revocations) {
      this(() -> fixed, revocations);
    }
  }

  private final String localDomain;
  private final CredentialValidator local;
  private final Clock clock;
  private final Map<String, PeerAuthority> authorities = new TreeMap<>();
  /** Validators of the peers whose root is known (made on first use: a root may be configured as a file that appears later). */
  private final Map<String, X509CredentialValidator> peers = new java.util.concurrent.ConcurrentHashMap<>();

  public FederatedCredentialValidator(String localDomain, CredentialValidator local, Map<String, PeerAuthority> peers, Clock clock) {
    this.localDomain = localDomain;
    this.local = local;
    this.clock = clock;
    peers.forEach((domain, p) -> {
      if (domain.equals(localDomain)) {
        throw new IllegalArgumentException("a peer cannot have this provider's own domain " + domain);
      }
      this.authorities.put(domain, p);
    });
  }

  /** The domain of a user id {@code user@domain}. */
  public static String domainOf(String user) throws ValidationException {
    int at = user.lastIndexOf('@');
    if (at <= 0 || at == user.length() - 1) {
      throw new ValidationException("as.user-id", "the credential names no user@domain: " + user);
    }
    return user.substring(at + 1);
  }

  @Override
  public void validate(Credential credential, Bytes signatureKey) throws ValidationException {
    if (credential instanceof Credential.Basic) {
      local.validate(credential, signatureKey); // development mode decides
      return;
    }
    String domain = domainOf(X509Credentials.user(credential));
    if (domain.equals(localDomain)) {
      local.validate(credential, signatureKey);
      return;
    }
    PeerAuthority authority = authorities.get(domain);
    if (authority == null) {
      throw new ValidationException("fed.unknown-domain", "credentials of " + domain
          + " are not accepted: this provider (" + localDomain + ") does not federate with it");
    }
    X509CredentialValidator peer = peers.get(domain);
    if (peer == null) {
      peer = new X509CredentialValidator(authority.root().root(), clock, authority.revocations(), false, "the AS of " + domain);
      peers.put(domain, peer);
    }
    peer.validate(credential, signatureKey);
  }

  /** The domains whose credentials are accepted: this provider's and its peers'. */
  public java.util.Set<String> domains() {
    java.util.Set<String> out = new java.util.TreeSet<>(authorities.keySet());
    out.add(localDomain);
    return out;
  }
}
