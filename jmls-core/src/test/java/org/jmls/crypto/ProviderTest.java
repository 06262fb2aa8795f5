package org.jmls.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.jmls.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ProviderTest {
  private static final CryptoProvider P = DefaultCryptoProvider.instance();
  private static final byte[] MSG = "message".getBytes(StandardCharsets.US_ASCII);

  @ParameterizedTest
  @EnumSource(SignatureAlgorithm.class)
  void sign_verifiesAndRejectsTampering(SignatureAlgorithm alg) throws Exception {
    KeyPair kp = P.signatureGenerateKeyPair(alg);
    byte[] pk = kp.publicKey().toByteArray();
    byte[] sig = P.sign(alg, kp.privateKey().unsafeArray(), MSG);
    assertTrue(P.verify(alg, pk, MSG, sig));
    assertFalse(P.verify(alg, pk, "messagf".getBytes(StandardCharsets.US_ASCII), sig));
    byte[] badSig = sig.clone();
    badSig[badSig.length / 2] ^= 0x10;
    assertFalse(P.verify(alg, pk, MSG, badSig));
    assertArrayEquals(pk, P.signaturePublicKey(alg, kp.privateKey().unsafeArray()));
  }

  @ParameterizedTest
  @EnumSource(SignatureAlgorithm.class)
  void verify_malformedKeyOrSignature_returnsFalseWithoutThrowing(SignatureAlgorithm alg) throws Exception {
    KeyPair kp = P.signatureGenerateKeyPair(alg);
    byte[] sig = P.sign(alg, kp.privateKey().unsafeArray(), MSG);
    assertFalse(P.verify(alg, new byte[0], MSG, sig));
    assertFalse(P.verify(alg, new byte[65], MSG, sig));
    assertFalse(P.verify(alg, kp.publicKey().toByteArray(), MSG, new byte[0]));
    assertFalse(P.verify(alg, kp.publicKey().toByteArray(), MSG, new byte[] {0x30, 0x02, 0x02, 0x00}));
  }

  @ParameterizedTest
  @EnumSource(value = KemAlgorithm.class, names = "DHKEM_.*", mode = EnumSource.Mode.MATCH_ALL)
  void dh_agreesBothWays(KemAlgorithm kem) throws Exception {
    KeyPair a = P.dhGenerateKeyPair(kem);
    KeyPair b = P.dhGenerateKeyPair(kem);
    assertEquals(kem.publicKeyLength(), a.publicKey().length());
    assertArrayEquals(
        P.dh(kem, a.privateKey().unsafeArray(), b.publicKey().toByteArray()),
        P.dh(kem, b.privateKey().unsafeArray(), a.publicKey().toByteArray()));
  }

  @ParameterizedTest
  @EnumSource(value = KemAlgorithm.class, names = "DHKEM_.*", mode = EnumSource.Mode.MATCH_ALL)
  void dh_invalidPublicKey_throws(KemAlgorithm kem) {
    KeyPair a = P.dhGenerateKeyPair(kem);
    // All-zero input: a low-order point for X25519/X448 (all-zero shared secret), not on the curve for NIST.
    byte[] zero = new byte[kem.publicKeyLength()];
    if (kem.isNist()) {
      zero[0] = 4;
    }
    assertThrows(CryptoException.class, () -> P.dh(kem, a.privateKey().unsafeArray(), zero));
    assertThrows(CryptoException.class, () -> P.dh(kem, a.privateKey().unsafeArray(), new byte[3]));
  }

  @ParameterizedTest
  @EnumSource(AeadAlgorithm.class)
  void aead_roundTripsAndDetectsTampering(AeadAlgorithm alg) throws Exception {
    byte[] key = new byte[alg.keyLength()];
    byte[] nonce = new byte[alg.nonceLength()];
    P.randomBytes(key);
    byte[] ct = P.aeadSeal(alg, key, nonce, new byte[] {1}, MSG);
    assertEquals(MSG.length + alg.tagLength(), ct.length);
    assertArrayEquals(MSG, P.aeadOpen(alg, key, nonce, new byte[] {1}, ct));
    assertThrows(CryptoException.class, () -> P.aeadOpen(alg, key, nonce, new byte[] {2}, ct));
    assertThrows(CryptoException.class, () -> P.aeadOpen(alg, key, nonce, new byte[0], new byte[5]));
  }

  @Test
  void hmac_emptyKeyMatchesZeroKeyOfHashLength() {
    // HKDF-Extract with an empty salt (RFC 5869 §2.2) must equal HMAC with Nh zero bytes.
    assertArrayEquals(P.hmac(HashAlgorithm.SHA256, new byte[32], MSG), P.hmac(HashAlgorithm.SHA256, new byte[0], MSG));
  }

  @Test
  void secret_neverPrintsAndIsWipedOnDestroy() {
    byte[] raw = {1, 2, 3, 4};
    Secret s = Secret.copyOf(raw);
    assertFalse(s.toString().contains("01020304"));
    assertEquals(Secret.copyOf(raw), s);
    byte[] backing = s.unsafeArray();
    s.destroy();
    assertTrue(s.isDestroyed());
    assertArrayEquals(new byte[4], backing);
    assertThrows(IllegalStateException.class, s::toByteArray);
  }

  @Test
  void cipherSuite_ofKnowsExactlyTheSevenRfcSuites() {
    for (int id = 1; id <= 7; id++) {
      assertEquals(id, CipherSuite.of(id).id());
    }
    assertEquals(null, CipherSuite.of(0));
    assertEquals(null, CipherSuite.of(8));
    assertEquals(null, CipherSuite.of(0x0a0a));
    assertEquals("0102", Bytes.wrap(new byte[] {1, 2}).hex());
  }

  /**
   * Signing remembers each key's public key (EdDSA signing needs it); a key array whose content
   * changes signs with the new key's public key, never the remembered one. Repeated verifications
   * with remembered decoded keys agree with fresh ones, invalid keys included.
   */
  @ParameterizedTest
  @EnumSource(value = SignatureAlgorithm.class)
  void signingAndVerifying_withRememberedKeys_followTheKeysContent(SignatureAlgorithm alg) throws Exception {
    KeyPair a = P.signatureGenerateKeyPair(alg);
    KeyPair b = P.signatureGenerateKeyPair(alg);
    byte[] sk = a.privateKey().toByteArray();
    assertTrue(P.verify(alg, a.publicKey().toByteArray(), MSG, P.sign(alg, sk, MSG)));
    assertTrue(P.verify(alg, a.publicKey().toByteArray(), MSG, P.sign(alg, sk, MSG)));
    System.arraycopy(b.privateKey().toByteArray(), 0, sk, 0, sk.length); // the same array, another key
    byte[] sig = P.sign(alg, sk, MSG);
    assertTrue(P.verify(alg, b.publicKey().toByteArray(), MSG, sig));
    assertFalse(P.verify(alg, a.publicKey().toByteArray(), MSG, sig));
    byte[] badKey = a.publicKey().toByteArray();
    badKey[badKey.length - 1] ^= 0x55;
    for (int i = 0; i < 2; i++) {
      assertFalse(P.verify(alg, badKey, MSG, P.sign(alg, a.privateKey().toByteArray(), MSG)));
    }
  }
}
