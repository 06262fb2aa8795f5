package org.jmls.as;

import java.io.IOException;
import java.time.Clock;
import java.util.Date;
import org.bouncycastle.cert.CertException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.bc.BcEdDSAContentVerifierProviderBuilder;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.group.CredentialValidator;
import org.jmls.message.Credential;

/**
 * The client-side check of AS-issued credentials (RFC 9750 §4), used by the SDK and the DS through
 * jmls-core's {@link CredentialValidator} hook: the leaf certificate chains to the AS root, is
 * within its validity period, is not revoked, and certifies exactly the MLS signature key in use.
 * Basic credentials are refused unless development mode allows them (they are unauthenticated).
 */
public final class X509CredentialValidator implements CredentialValidator {
  /** Answers whether a certificate serial (hex) is revoked. */
  @FunctionalInterface
  public interface Revocations {
    boolean isRevoked(String serialHex) throws ValidationException;
  }

  private final X509CertificateHolder root;
  private final Clock clock;
  private final Revocations revocations;
  private final boolean allowBasic;
  /** Who issues, as refusals name it ("this deployment's AS", "the AS of example.org"). */
  private final String authority;

  public X509CredentialValidator(X509CertificateHolder root, Clock clock, Revocations revocations, boolean allowBasic) {
    this(root, clock, revocations, allowBasic, "this deployment's AS");
  }

  /** As the other constructor; refusals name the issuing {@code authority}. */
  public X509CredentialValidator(X509CertificateHolder root, Clock clock, Revocations revocations, boolean allowBasic,
      String authority) {
    this.root = root;
    this.clock = clock;
    this.revocations = revocations;
    this.allowBasic = allowBasic;
    this.authority = authority;
  }

  @Override
  public void validate(Credential credential, Bytes signatureKey) throws ValidationException {
    if (credential instanceof Credential.Basic) {
      if (!allowBasic) {
        throw new ValidationException("as.basic-credential", "basic credentials are not authenticated; enrol with the AS");
      }
      return;
    }
    X509CertificateHolder leaf = X509Credentials.leaf(credential);
    try {
      if (!leaf.getIssuer().equals(root.getSubject())
          || !leaf.isSignatureValid(new BcEdDSAContentVerifierProviderBuilder().build(root))) {
        throw new ValidationException("as.chain", "the certificate was not issued by " + authority);
      }
    } catch (CertException | OperatorCreationException | RuntimeException e) {
      throw new ValidationException("as.chain", "the certificate signature cannot be verified with the root of " + authority);
    }
    if (!leaf.isValidOn(new Date(clock.millis()))) {
      throw new ValidationException("as.expired", "the certificate is not valid at this time");
    }
    if (revocations.isRevoked(leaf.getSerialNumber().toString(16))) {
      throw new ValidationException("as.revoked", "the certificate has been revoked by " + authority);
    }
    if (!X509Credentials.mlsKey(leaf).equals(signatureKey)) {
      throw new ValidationException("as.key-mismatch", "the certificate certifies another signature key");
    }
  }

  /** Checks that {@code credential} names {@code expectedUser} (reference identifier match, RFC 9750 §4). */
  public void expectUser(Credential credential, String expectedUser) throws ValidationException {
    if (!X509Credentials.user(credential).equals(expectedUser)) {
      throw new ValidationException("as.identity-mismatch", "the credential does not name " + expectedUser);
    }
  }

  static X509CertificateHolder parse(byte[] der) throws ValidationException {
    try {
      return new X509CertificateHolder(der);
    } catch (IOException e) {
      throw new ValidationException("as.certificate-decode", "the certificate does not decode");
    }
  }
}
