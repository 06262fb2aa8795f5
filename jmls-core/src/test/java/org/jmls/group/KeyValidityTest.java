package org.jmls.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.message.Credential;
import org.jmls.message.KeyPackage;
import org.jmls.message.Lifetime;
import org.jmls.message.ProtocolVersion;
import org.junit.jupiter.api.Test;

/**
 * A key that is not a valid key of the suite is refused as such, naming the key and what is wrong
 * with it, not as a signature that fails to verify (RFC 9420 §5.1.1: NIST keys are
 * UncompressedPointRepresentation; RFC 9180 §7.1.4 for HPKE keys).
 */
class KeyValidityTest {
  private static final GroupServices S = GroupServices.development();
  private static final CipherSuite P256 = CipherSuite.MLS_128_DHKEMP256_AES128GCM_SHA256_P256;

  private static Bytes compress(Bytes uncompressed) {
    X9ECParameters p = CustomNamedCurves.getByName("P-256");
    return Bytes.wrap(p.getCurve().decodePoint(uncompressed.toByteArray()).getEncoded(true));
  }

  private static KeyPackage keyPackage(MlsCrypto c, KeyPair signer, Bytes advertisedSignatureKey) throws Exception {
    long now = S.clock().instant().getEpochSecond();
    return KeyPackages.create(c, new Credential.Basic(Bytes.wrap("mallory".getBytes())), new KeyPair(signer.privateKey(),
        advertisedSignatureKey), KeyPackages.defaultCapabilities(P256), new Lifetime(now - 60, now + 3600), List.of(), List.of())
        .keyPackage();
  }

  private static ValidationException refusal(MlsCrypto c, KeyPackage kp) {
    return assertThrows(ValidationException.class,
        () -> KeyPackages.validate(c, S, kp, List.of(), S.clock().instant().getEpochSecond()));
  }

  @Test
  void compressedSignatureKey_refusedAsAnInvalidKey_rfc9420_5_1_1() throws Exception {
    MlsCrypto c = S.provider().suite(P256);
    KeyPair signer = c.generateSignatureKeyPair();
    KeyPackages.validate(c, S, keyPackage(c, signer, signer.publicKey()), List.of(), S.clock().instant().getEpochSecond());
    ValidationException e = refusal(c, keyPackage(c, signer, compress(signer.publicKey())));
    assertEquals("rfc9420-5.1.1.signature-key", e.ruleId());
    assertTrue(e.getMessage().contains("the KeyPackage's signature_key is not a valid") && e.getMessage().contains("a compressed point"),
        e.getMessage());
    // A valid key that did not make the signature is still a signature failure.
    KeyPair other = c.generateSignatureKeyPair();
    assertEquals("rfc9420-10.1.signature", refusal(c, keyPackage(c, signer, other.publicKey())).ruleId());
  }

  @Test
  void invalidInitKey_refusedAsAnInvalidHpkeKey() throws Exception {
    MlsCrypto c = S.provider().suite(P256);
    KeyPair signer = c.generateSignatureKeyPair();
    KeyPackage good = keyPackage(c, signer, signer.publicKey());
    for (Bytes bad : List.of(compress(good.initKey()), Bytes.wrap(new byte[65]))) {
      KeyPackage unsigned = new KeyPackage(ProtocolVersion.MLS10, P256.id(), bad, good.leafNode(), good.extensions(), Bytes.EMPTY);
      KeyPackage kp = new KeyPackage(unsigned.version(), unsigned.cipherSuite(), bad, good.leafNode(), good.extensions(),
          c.signWithLabel(signer.privateKey(), "KeyPackageTBS", unsigned.toBeSigned()));
      ValidationException e = refusal(c, kp);
      assertEquals("rfc9180-7.1.4.public-key", e.ruleId());
      assertTrue(e.getMessage().startsWith("rfc9180-7.1.4.public-key: the KeyPackage's init_key is not a valid"), e.getMessage());
    }
  }

  @Test
  void ed25519_wrongLengthKey_named() throws Exception {
    MlsCrypto c = S.provider().suite(CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519);
    ValidationException e = assertThrows(ValidationException.class, () -> c.checkSignatureKey(Bytes.wrap(new byte[31]), "a key"));
    assertEquals("rfc9420-5.1.1.signature-key: a key is not a valid ED25519 public key: 31 bytes, not 32", e.getMessage());
    c.checkSignatureKey(c.generateSignatureKeyPair().publicKey(), "a key");
    assertEquals("rfc9180-7.1.4.public-key", assertThrows(ValidationException.class,
        () -> c.checkHpkeKey(Bytes.wrap(new byte[33]), "a key")).ruleId());
  }
}
