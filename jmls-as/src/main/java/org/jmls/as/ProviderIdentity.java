package org.jmls.as;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Date;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.CertException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.bc.BcEdDSAContentVerifierProviderBuilder;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.Secret;

/**
 * A federated provider's identity: the Ed25519 key it signs provider-to-provider requests with,
 * and the certificate its own AS issued for that key and its domain (valid 30 days). The key is
 * derived from the AS root key (SHA-256 over a label and the root key), so every node sharing the
 * AS's database signs with the same key and nothing more is stored; a peer that trusts the root
 * trusts the certificate.
 */
public record ProviderIdentity(String domain, Secret privateKey, Bytes publicKey, X509CertificateHolder certificate, long issuedAt) {
  static final long LIFETIME_SECONDS = 30L * 86400;

  static ProviderIdentity derive(CertificateAuthority ca, String domain, long nowSeconds) throws IOException {
    byte[] seed;
    byte[] rootKey = ca.privateKeyBytes();
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("jmls provider key v1".getBytes(StandardCharsets.US_ASCII));
      sha.update(rootKey);
      seed = sha.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } finally {
      Arrays.fill(rootKey, (byte) 0);
    }
    Bytes pub = Bytes.wrap(new Ed25519PrivateKeyParameters(seed).generatePublicKey().getEncoded());
    return new ProviderIdentity(domain, Secret.wrap(seed), pub, ca.issueProvider(domain, pub, nowSeconds, LIFETIME_SECONDS), nowSeconds);
  }

  /**
   * Checks a peer's provider certificate: issued by {@code root}, valid at {@code nowMillis}, for
   * {@code domain} (its provider URI); returns the key it certifies.
   */
  public static Bytes verifyCertificate(X509CertificateHolder cert, X509CertificateHolder root, String domain, long nowMillis)
      throws ValidationException {
    try {
      if (!cert.getIssuer().equals(root.getSubject())
          || !cert.isSignatureValid(new BcEdDSAContentVerifierProviderBuilder().build(root))) {
        throw new ValidationException("fed.provider-certificate", "the provider certificate of " + domain
            + " was not issued by the AS root configured for " + domain);
      }
    } catch (CertException | OperatorCreationException | RuntimeException e) {
      throw new ValidationException("fed.provider-certificate", "the provider certificate of " + domain + " cannot be verified");
    }
    if (!cert.isValidOn(new Date(nowMillis))) {
      throw new ValidationException("fed.provider-certificate", "the provider certificate of " + domain + " has expired");
    }
    GeneralNames names = GeneralNames.fromExtensions(cert.getExtensions(),
        Extension.subjectAlternativeName);
    boolean named = false;
    if (names != null) {
      for (GeneralName n : names.getNames()) {
        if (n.getTagNo() == GeneralName.uniformResourceIdentifier
            && n.getName().toString().equals(CertificateAuthority.PROVIDER_URI_PREFIX + domain)) {
          named = true;
        }
      }
    }
    if (!named) {
      throw new ValidationException("fed.provider-certificate", "the certificate does not certify the provider " + domain);
    }
    return X509Credentials.mlsKey(cert);
  }
}
