package org.jmls.group;

import java.util.List;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.CryptoException;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.message.Capabilities;
import org.jmls.message.Credential;
import org.jmls.message.Extension;
import org.jmls.message.KeyPackage;
import org.jmls.message.LeafNode;
import org.jmls.message.LeafNodeSource;
import org.jmls.message.Lifetime;
import org.jmls.message.ProtocolVersion;

/** Creating and validating KeyPackages (RFC 9420 §10). */
public final class KeyPackages {
  private KeyPackages() {}

  /** Capabilities listing MLS 1.0, {@code suite}, and basic and x509 credentials. */
  public static Capabilities defaultCapabilities(CipherSuite suite) {
    return new Capabilities(List.of(ProtocolVersion.MLS10), List.of(suite.id()), List.of(),
        List.of(org.jmls.message.Proposal.SELF_REMOVE), List.of(Credential.BASIC, Credential.X509));
  }

  /**
   * A fresh KeyPackage for {@code credential} signing with {@code signatureKey}: new init and leaf
   * encryption keys, leaf source key_package, the given capabilities, lifetime and extensions.
   */
  public static KeyPackageBundle create(
      MlsCrypto c, Credential credential, KeyPair signatureKey, Capabilities capabilities, Lifetime lifetime,
      List<Extension> leafExtensions, List<Extension> keyPackageExtensions) throws CryptoException {
    KeyPair init = c.generateHpkeKeyPair();
    KeyPair enc = c.generateHpkeKeyPair();
    LeafNode unsigned = new LeafNode(enc.publicKey(), signatureKey.publicKey(), credential, capabilities,
        LeafNodeSource.KEY_PACKAGE, lifetime, null, leafExtensions, Bytes.EMPTY);
    LeafNode leaf = unsigned.withSignature(
        c.signWithLabel(signatureKey.privateKey(), "LeafNodeTBS", unsigned.toBeSigned(null, 0)));
    KeyPackage unsignedKp = new KeyPackage(ProtocolVersion.MLS10, c.cipherSuite().id(), init.publicKey(), leaf,
        keyPackageExtensions, Bytes.EMPTY);
    KeyPackage kp = new KeyPackage(unsignedKp.version(), unsignedKp.cipherSuite(), unsignedKp.initKey(), leaf,
        unsignedKp.extensions(), c.signWithLabel(signatureKey.privateKey(), "KeyPackageTBS", unsignedKp.toBeSigned()));
    return new KeyPackageBundle(kp, init.privateKey(), enc.privateKey(), signatureKey.privateKey());
  }

  /**
   * Validates a KeyPackage for a group of {@code c}'s suite (§10.1): version and suite, KeyPackage
   * signature, leaf node (§7.3, source key_package, lifetime at {@code nowSeconds}), and init key
   * different from the leaf's encryption key.
   */
  public static void validate(MlsCrypto c, GroupServices services, KeyPackage kp, List<Extension> groupExtensions,
      long nowSeconds) throws ValidationException {
    if (kp.version() != ProtocolVersion.MLS10) {
      throw new ValidationException("rfc9420-10.1.version", "KeyPackage version " + kp.version() + " is not mls10");
    }
    if (kp.cipherSuite() != c.cipherSuite().id()) {
      throw new ValidationException("rfc9420-10.1.cipher-suite", "KeyPackage suite " + kp.cipherSuite() + " differs from the group's");
    }
    if (!c.verifyWithLabel(kp.leafNode().signatureKey(), "KeyPackageTBS", kp.toBeSigned(), kp.signature())) {
      throw c.signatureRefusal(kp.leafNode().signatureKey(), "the KeyPackage's signature_key", "rfc9420-10.1.signature",
          "the KeyPackage signature does not verify");
    }
    c.checkHpkeKey(kp.initKey(), "the KeyPackage's init_key");
    if (kp.initKey().equals(kp.leafNode().encryptionKey())) {
      throw new ValidationException("rfc9420-10.1.init-key", "init_key equals the leaf encryption_key");
    }
    LeafValidation.validate(c, services, kp.leafNode(), LeafNodeSource.KEY_PACKAGE, null, 0, groupExtensions, null, -1, nowSeconds);
  }

  /** KeyPackageRef = MakeKeyPackageRef(KeyPackage) (§5.2). */
  public static Bytes ref(MlsCrypto c, KeyPackage kp) {
    return c.makeKeyPackageRef(kp.toByteArray());
  }
}
