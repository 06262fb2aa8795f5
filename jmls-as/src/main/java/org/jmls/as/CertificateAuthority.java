package org.jmls.as;

import java.io.IOException;
import java.math.BigInteger;
import java.security.SecureRandom;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.bc.BcEdECContentSignerBuilder;
import org.jmls.Bytes;
import org.jmls.crypto.SignatureAlgorithm;

/**
 * The deployment's certification authority: an Ed25519 root key and its self-signed certificate,
 * issuing leaf certificates that bind {@code user@domain} and a device id to an MLS signature key.
 * The AS never sees client private keys (RFC 9750 §8.4.3): it certifies a public key whose holder
 * proved possession.
 */
public final class CertificateAuthority {
  private static final AlgorithmIdentifier ED25519 = new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519);

  private final Ed25519PrivateKeyParameters key;
  private final X509CertificateHolder root;
  private final SecureRandom random;

  private CertificateAuthority(Ed25519PrivateKeyParameters key, X509CertificateHolder root, SecureRandom random) {
    this.key = key;
    this.root = root;
    this.random = random;
  }

  /** A new root: fresh key, self-signed certificate valid for {@code years}. */
  public static CertificateAuthority generate(String name, long nowSeconds, int years, SecureRandom random) throws IOException {
    Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(random);
    X500Name subject = new X500Name("CN=" + name);
    X509v3CertificateBuilder b = new X509v3CertificateBuilder(subject, new BigInteger(64, random).add(BigInteger.ONE),
        X509Credentials.date(nowSeconds - 60), X509Credentials.date(nowSeconds + years * 365L * 86400), subject,
        new SubjectPublicKeyInfo(ED25519, key.generatePublicKey().getEncoded()));
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    return new CertificateAuthority(key, b.build(signer(key)), random);
  }

  /** A root loaded from storage. */
  public static CertificateAuthority load(byte[] privateKey, byte[] certificate, SecureRandom random) throws IOException {
    return new CertificateAuthority(new Ed25519PrivateKeyParameters(privateKey), new X509CertificateHolder(certificate), random);
  }

  private static ContentSigner signer(Ed25519PrivateKeyParameters key) throws IOException {
    try {
      return new BcEdECContentSignerBuilder(ED25519).build(key);
    } catch (OperatorCreationException e) {
      throw new IOException(e);
    }
  }

  public byte[] privateKeyBytes() {
    return key.getEncoded();
  }

  public X509CertificateHolder root() {
    return root;
  }

  /** Signs {@code data} with the root key (revocation lists). */
  public Bytes sign(byte[] data) {
    byte[] sig = new byte[64];
    key.sign(org.bouncycastle.math.ec.rfc8032.Ed25519.Algorithm.Ed25519, null, data, 0, data.length, sig, 0);
    return Bytes.wrap(sig);
  }

  /** The root's public key (raw Ed25519). */
  public Bytes publicKey() {
    return Bytes.wrap(key.generatePublicKey().getEncoded());
  }

  /** A leaf certificate for {@code user}/{@code device} over {@code mlsKey}, valid from now for {@code lifetimeSeconds}. */
  public X509CertificateHolder issue(String user, String device, SignatureAlgorithm alg, Bytes mlsKey, long nowSeconds,
      long lifetimeSeconds) throws IOException {
    byte[] serial = new byte[16];
    random.nextBytes(serial);
    X509v3CertificateBuilder b = new X509v3CertificateBuilder(root.getSubject(), new BigInteger(1, serial),
        X509Credentials.date(nowSeconds - 60), X509Credentials.date(nowSeconds + lifetimeSeconds),
        new X500Name("CN=" + user.replace(",", "\\,")), X509Credentials.spki(alg, mlsKey));
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.rfc822Name, user),
        new GeneralName(GeneralName.uniformResourceIdentifier, X509Credentials.DEVICE_URI_PREFIX + user + "/" + device)}));
    return b.build(signer(key));
  }

  /** URI SAN naming a federation provider in its provider certificate. */
  public static final String PROVIDER_URI_PREFIX = "jmls-provider:";

  /**
   * A provider certificate: binds the domain {@code domain} (subject CN, dNSName and a {@code
   * jmls-provider:} URI SAN) to the Ed25519 key the provider signs its federation requests with. It
   * names no user, so it can never pass as an MLS credential.
   */
  public X509CertificateHolder issueProvider(String domain, Bytes ed25519Key, long nowSeconds, long lifetimeSeconds) throws IOException {
    byte[] serial = new byte[16];
    random.nextBytes(serial);
    X509v3CertificateBuilder b = new X509v3CertificateBuilder(root.getSubject(), new BigInteger(1, serial),
        X509Credentials.date(nowSeconds - 60), X509Credentials.date(nowSeconds + lifetimeSeconds),
        new X500Name("CN=" + domain.replace(",", "\\,")), new SubjectPublicKeyInfo(ED25519, ed25519Key.toByteArray()));
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.dNSName, domain),
        new GeneralName(GeneralName.uniformResourceIdentifier, PROVIDER_URI_PREFIX + domain)}));
    return b.build(signer(key));
  }
}
