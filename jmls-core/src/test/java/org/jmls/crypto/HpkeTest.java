package org.jmls.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.hpke.HPKE;
import org.jmls.Bytes;
import org.jmls.message.HpkeCiphertext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Our HPKE (written over the provider SPI) against BouncyCastle's independent RFC 9180
 * implementation, in both directions, for the KEM/KDF/AEAD of every RFC 9420 cipher suite.
 */
class HpkeTest {
  private static final CryptoProvider P = DefaultCryptoProvider.instance();

  private static HPKE bc(CipherSuite s) {
    return new HPKE(HPKE.mode_base, (short) s.kem().kemId(), (short) s.kdf().kdfId(), (short) s.aead().aeadId());
  }

  private static Hpke ours(CipherSuite s) {
    return new Hpke(P, s.kem(), s.kdf(), s.aead());
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void deriveKeyPair_matchesBouncyCastle(CipherSuite s) throws Exception {
    for (int i = 0; i < 20; i++) {
      byte[] ikm = String.format("ikm %-28d", i).getBytes(StandardCharsets.US_ASCII); // 32 bytes: the PQ KEMs want at least that
      AsymmetricCipherKeyPair theirs = bc(s).deriveKeyPair(ikm);
      KeyPair mine = ours(s).deriveKeyPair(ikm);
      assertEquals(Bytes.wrap(bc(s).serializePublicKey(theirs.getPublic())), mine.publicKey());
      // RFC 9180 keeps X25519/X448 private keys unclamped; BouncyCastle serializes them clamped.
      assertEquals(Bytes.wrap(bc(s).serializePrivateKey(theirs.getPrivate())), clampIfX(s.kem(), mine.privateKey().toByteArray()));
    }
  }

  private static Bytes clampIfX(KemAlgorithm kem, byte[] sk) {
    if (kem == KemAlgorithm.DHKEM_X25519) {
      sk[0] &= (byte) 0xf8;
      sk[31] = (byte) ((sk[31] & 0x7f) | 0x40);
    } else if (kem == KemAlgorithm.DHKEM_X448) {
      sk[0] &= (byte) 0xfc;
      sk[55] |= (byte) 0x80;
    }
    return Bytes.wrap(sk);
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void seal_openedByBouncyCastle(CipherSuite s) throws Exception {
    HPKE bc = bc(s);
    AsymmetricCipherKeyPair recipient = bc.generatePrivateKey();
    byte[] pk = bc.serializePublicKey(recipient.getPublic());
    byte[] pt = "hello, group".getBytes(StandardCharsets.UTF_8);
    HpkeCiphertext ct = ours(s).seal(pk, new byte[] {1, 2}, new byte[] {3}, pt);
    byte[] opened = bc.open(ct.kemOutput().toByteArray(), recipient, new byte[] {1, 2}, new byte[] {3},
        ct.ciphertext().toByteArray(), null, null, null);
    assertArrayEquals(pt, opened);
  }

  /** One prepared info serves many recipients, each opening with the plain info (BouncyCastle, and our EncryptWithLabel). */
  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void sealWithPreparedInfo_manyRecipients_eachOpensWithThePlainInfo(CipherSuite s) throws Exception {
    HPKE bc = bc(s);
    byte[] info = new byte[70_000]; // larger than one hash block many times over, like an encrypted GroupInfo
    for (int i = 0; i < info.length; i++) {
      info[i] = (byte) (i * 31);
    }
    Hpke.Info prepared = ours(s).prepare(info);
    for (int r = 0; r < 3; r++) {
      AsymmetricCipherKeyPair recipient = bc.generatePrivateKey();
      byte[] pt = ("secrets for " + r).getBytes(StandardCharsets.UTF_8);
      HpkeCiphertext ct = ours(s).seal(bc.serializePublicKey(recipient.getPublic()), prepared, new byte[0], pt);
      assertArrayEquals(pt, bc.open(ct.kemOutput().toByteArray(), recipient, info, new byte[0], ct.ciphertext().toByteArray(),
          null, null, null));
    }
    MlsCrypto c = P.suite(s);
    KeyPair kp = c.generateHpkeKeyPair();
    HpkeCiphertext ct = c.encryptWithLabel(kp.publicKey(), c.encryptionContext("Welcome", info), new byte[] {7});
    assertArrayEquals(new byte[] {7}, c.decryptWithLabel(kp.privateKey(), "Welcome", info, ct));
    assertThrows(CryptoException.class, () -> c.decryptWithLabel(kp.privateKey(), "UpdatePathNode", info, ct));
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void open_readsBouncyCastleCiphertext(CipherSuite s) throws Exception {
    HPKE bc = bc(s);
    KeyPair recipient = ours(s).generateKeyPair();
    byte[] pt = "welcome".getBytes(StandardCharsets.UTF_8);
    byte[][] ctEnc = bc.seal(bc.deserializePublicKey(recipient.publicKey().toByteArray()), new byte[] {9}, new byte[0], pt, null, null, null);
    byte[] opened = ours(s).open(ctEnc[1], recipient.privateKey().unsafeArray(), new byte[] {9}, new byte[0], ctEnc[0]);
    assertArrayEquals(pt, opened);
  }

  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void open_tamperedCiphertext_throwsCryptoException(CipherSuite s) throws Exception {
    KeyPair r = ours(s).generateKeyPair();
    HpkeCiphertext ct = ours(s).seal(r.publicKey().toByteArray(), new byte[0], new byte[0], new byte[] {42});
    byte[] bad = ct.ciphertext().toByteArray();
    bad[0] ^= 1;
    assertThrows(CryptoException.class,
        () -> ours(s).open(ct.kemOutput().toByteArray(), r.privateKey().unsafeArray(), new byte[0], new byte[0], bad));
    byte[] badEnc = ct.kemOutput().toByteArray();
    assertThrows(CryptoException.class,
        () -> ours(s).open(java.util.Arrays.copyOf(badEnc, badEnc.length - 1), r.privateKey().unsafeArray(),
            new byte[0], new byte[0], ct.ciphertext().toByteArray()));
  }

  /**
   * One Hpke serves every thread (TreeKEM encrypts a path on the services' workers): concurrent
   * seals and opens in each suite all succeed and round-trip. BouncyCastle's HPKE, behind the
   * NIST-curve hybrids, keeps per-operation state and failed this before it was made per thread.
   */
  @ParameterizedTest
  @EnumSource(CipherSuite.class)
  void sealAndOpen_fromManyThreadsAtOnce(CipherSuite s) throws Exception {
    Hpke h = ours(s);
    KeyPair r = h.generateKeyPair();
    byte[] info = "info".getBytes(StandardCharsets.US_ASCII);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      java.util.List<java.util.concurrent.Future<Boolean>> done = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        done.add(pool.submit(() -> {
          for (int i = 0; i < 25; i++) {
            byte[] pt = ("message " + i).getBytes(StandardCharsets.US_ASCII);
            HpkeCiphertext ct = h.seal(r.publicKey().toByteArray(), info, new byte[0], pt);
            if (!java.util.Arrays.equals(pt, h.open(ct.kemOutput().toByteArray(), r.privateKey().toByteArray(), info, new byte[0],
                ct.ciphertext().toByteArray()))) {
              return false;
            }
          }
          return true;
        }));
      }
      for (java.util.concurrent.Future<Boolean> f : done) {
        assertEquals(true, f.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
