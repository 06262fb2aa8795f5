package org.jmls.as;

import java.io.IOException;
import java.math.BigInteger;
import java.time.Clock;
import java.util.Date;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.SignatureAlgorithm;
import org.jmls.message.Credential;

/**
 * X.509 credentials for MLS (RFC 9420 §5.3): the leaf certificate's subject public key is the MLS
 * signature key. The identity is {@code user@domain} (subject CN and an rfc822Name SAN), the device
 * a {@code jmls-device:} URI SAN.
 */
public final class X509Credentials {
  private X509Credentials() {}

  static final String DEVICE_URI_PREFIX = "jmls-device:";

  /**
   * SubjectPublicKeyInfo for an MLS signature key of {@code alg}: the raw EdDSA key, the uncompressed
   * point, or the raw ML-DSA public key under the ML-DSA OIDs of RFC 9881 (no parameters).
   */
  static SubjectPublicKeyInfo spki(SignatureAlgorithm alg, Bytes key) {
    switch (alg) {
      case MLDSA44:
        return new SubjectPublicKeyInfo(new AlgorithmIdentifier(org.bouncycastle.asn1.nist.NISTObjectIdentifiers.id_ml_dsa_44), key.toByteArray());
      case MLDSA65:
        return new SubjectPublicKeyInfo(new AlgorithmIdentifier(org.bouncycastle.asn1.nist.NISTObjectIdentifiers.id_ml_dsa_65), key.toByteArray());
      case MLDSA87:
        return new SubjectPublicKeyInfo(new AlgorithmIdentifier(org.bouncycastle.asn1.nist.NISTObjectIdentifiers.id_ml_dsa_87), key.toByteArray());
      case ED25519:
        return new SubjectPublicKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519), key.toByteArray());
      case ED448:
        return new SubjectPublicKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed448), key.toByteArray());
      default:
        ASN1ObjectIdentifier curve = alg == SignatureAlgorithm.ECDSA_SECP256R1_SHA256 ? SECObjectIdentifiers.secp256r1
            : alg == SignatureAlgorithm.ECDSA_SECP384R1_SHA384 ? SECObjectIdentifiers.secp384r1 : SECObjectIdentifiers.secp521r1;
        return new SubjectPublicKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, curve), key.toByteArray());
    }
  }

  /** The certificate's subject key as an MLS signature key (the raw key bits). */
  static Bytes mlsKey(X509CertificateHolder cert) {
    return Bytes.wrap(cert.getSubjectPublicKeyInfo().getPublicKeyData().getBytes());
  }

  /** The leaf certificate of an x509 credential. */
  public static X509CertificateHolder leaf(Credential c) throws ValidationException {
    if (!(c instanceof Credential.X509) || ((Credential.X509) c).certificates().isEmpty()) {
      throw new ValidationException("as.not-x509", "the credential is not an X.509 credential");
    }
    try {
      return new X509CertificateHolder(((Credential.X509) c).certificates().get(0).toByteArray());
    } catch (IOException | RuntimeException e) {
      throw new ValidationException("as.certificate-decode", "the leaf certificate does not decode");
    }
  }

  /** The user identity ({@code user@domain}) a credential names. */
  public static String user(Credential c) throws ValidationException {
    if (c instanceof Credential.Basic) {
      return new String(((Credential.Basic) c).identity().toByteArray(), java.nio.charset.StandardCharsets.UTF_8);
    }
    GeneralNames names = GeneralNames.fromExtensions(leaf(c).getExtensions(), org.bouncycastle.asn1.x509.Extension.subjectAlternativeName);
    if (names != null) {
      for (GeneralName n : names.getNames()) {
        if (n.getTagNo() == GeneralName.rfc822Name) {
          return n.getName().toString();
        }
      }
    }
    throw new ValidationException("as.no-identity", "the certificate names no user");
  }

  /** The device a credential names ({@code user@domain/device}), or the user for basic credentials. */
  public static String client(Credential c) throws ValidationException {
    if (c instanceof Credential.Basic) {
      return user(c);
    }
    GeneralNames names = GeneralNames.fromExtensions(leaf(c).getExtensions(), org.bouncycastle.asn1.x509.Extension.subjectAlternativeName);
    if (names != null) {
      for (GeneralName n : names.getNames()) {
        if (n.getTagNo() == GeneralName.uniformResourceIdentifier && n.getName().toString().startsWith(DEVICE_URI_PREFIX)) {
          return n.getName().toString().substring(DEVICE_URI_PREFIX.length());
        }
      }
    }
    throw new ValidationException("as.no-device", "the certificate names no device");
  }

  /** Whether two credentials name the same user (RFC 9750 §4). */
  public static boolean sameUser(Credential a, Credential b) throws ValidationException {
    return user(a).equals(user(b));
  }

  /** Whether two credentials name the same client (device) (RFC 9750 §4). */
  public static boolean sameClient(Credential a, Credential b) throws ValidationException {
    return client(a).equals(client(b));
  }

  static Date date(long epochSeconds) {
    return new Date(epochSeconds * 1000);
  }

  static BigInteger serial(Clock clock, byte[] random) {
    return new BigInteger(1, random);
  }
}
