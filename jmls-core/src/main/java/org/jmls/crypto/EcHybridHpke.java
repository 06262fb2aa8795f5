package org.jmls.crypto;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.jmls.Bytes;

/**
 * HPKE base mode with the ML-KEM + NIST-curve hybrids of draft-ietf-hpke-pq §4 (MLKEM768-P256,
 * MLKEM1024-P384), run whole by BouncyCastle's HPKE: BouncyCastle implements these KEMs only behind
 * its own HPKE, with no public Encap/Decap, so for these two KEMs the key schedule is its too.
 */
final class EcHybridHpke implements Kem {
  private final KemAlgorithm kem;
  /** BouncyCastle's HPKE objects keep per-operation state (its AEAD): one per thread. */
  private final ThreadLocal<HPKE> hpkes;

  EcHybridHpke(KemAlgorithm kem, HashAlgorithm kdf, AeadAlgorithm aead) {
    this.kem = kem;
    this.hpkes = ThreadLocal.withInitial(
        () -> new HPKE(HPKE.mode_base, (short) kem.kemId(), (short) kdf.kdfId(), (short) aead.aeadId()));
  }

  private KeyPair pair(AsymmetricCipherKeyPair kp) {
    return new KeyPair(Secret.wrap(hpkes.get().serializePrivateKey(kp.getPrivate())),
        Bytes.wrap(hpkes.get().serializePublicKey(kp.getPublic())));
  }

  @Override
  public KeyPair deriveKeyPair(byte[] ikm) throws CryptoException {
    try {
      return pair(hpkes.get().deriveKeyPair(ikm));
    } catch (RuntimeException e) {
      throw new CryptoException(kem + " DeriveKeyPair failed: " + e.getMessage());
    }
  }

  @Override
  public KeyPair generateKeyPair() {
    return pair(hpkes.get().generatePrivateKey());
  }

  private AsymmetricKeyParameter publicKey(byte[] pk) throws CryptoException {
    if (pk.length != kem.publicKeyLength()) {
      throw new CryptoException(kem + " public key of " + pk.length + " bytes, expected " + kem.publicKeyLength());
    }
    try {
      return hpkes.get().deserializePublicKey(pk);
    } catch (RuntimeException e) {
      throw new CryptoException(kem + " public key refused: " + e.getMessage());
    }
  }

  private AsymmetricCipherKeyPair privateKey(byte[] sk) throws CryptoException {
    if (sk.length != kem.privateKeyLength()) {
      throw new CryptoException(kem + " private key of " + sk.length + " bytes, expected " + kem.privateKeyLength());
    }
    try {
      return hpkes.get().deserializePrivateKey(sk, null);
    } catch (RuntimeException e) {
      throw new CryptoException(kem + " private key refused: " + e.getMessage());
    }
  }

  private void checkEnc(byte[] enc) throws CryptoException {
    if (enc.length != kem.encLength()) {
      throw new CryptoException("HPKE enc of " + enc.length + " bytes, expected " + kem.encLength());
    }
  }

  /** {enc, ciphertext}. */
  byte[][] seal(byte[] pkR, byte[] info, byte[] aad, byte[] plaintext) throws CryptoException {
    try {
      byte[][] out = hpkes.get().seal(publicKey(pkR), info, aad, plaintext, null, null, null);
      return new byte[][] {out[1], out[0]};
    } catch (InvalidCipherTextException | RuntimeException e) {
      throw new CryptoException(kem + " seal failed: " + e.getMessage());
    }
  }

  byte[] open(byte[] enc, byte[] skR, byte[] info, byte[] aad, byte[] ciphertext) throws CryptoException {
    checkEnc(enc);
    try {
      return hpkes.get().open(enc, privateKey(skR), info, aad, ciphertext, null, null, null);
    } catch (InvalidCipherTextException | RuntimeException e) {
      throw new CryptoException("HPKE open failed: " + e.getMessage());
    }
  }

  /** {enc, exported}. */
  byte[][] sendExport(byte[] pkR, byte[] info, byte[] exporterContext, int length) throws CryptoException {
    try {
      return hpkes.get().sendExport(publicKey(pkR), info, exporterContext, length, null, null, null);
    } catch (RuntimeException e) {
      throw new CryptoException(kem + " export failed: " + e.getMessage());
    }
  }

  byte[] receiveExport(byte[] enc, byte[] skR, byte[] info, byte[] exporterContext, int length) throws CryptoException {
    checkEnc(enc);
    try {
      return hpkes.get().receiveExport(enc, privateKey(skR), info, exporterContext, length, null, null, null);
    } catch (RuntimeException e) {
      throw new CryptoException(kem + " export failed: " + e.getMessage());
    }
  }

  @Override
  public String keyProblem(byte[] pk) {
    try {
      publicKey(pk);
      return null;
    } catch (CryptoException e) {
      return e.getMessage();
    }
  }

  /** Not offered: BouncyCastle runs this KEM only inside its HPKE, which {@link Hpke} calls whole. */
  @Override
  public byte[][] encap(byte[] pkR) {
    throw new UnsupportedOperationException(kem + " runs inside BouncyCastle's HPKE only");
  }

  @Override
  public byte[] decap(byte[] enc, byte[] skR) {
    throw new UnsupportedOperationException(kem + " runs inside BouncyCastle's HPKE only");
  }
}
