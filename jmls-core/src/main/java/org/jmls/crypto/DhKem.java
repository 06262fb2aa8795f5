package org.jmls.crypto;

import java.math.BigInteger;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.jmls.Bytes;

/**
 * DHKEM (RFC 9180 §4.1) over the provider's curve code: DeriveKeyPair with the NIST curves'
 * rejection sampling (§7.1.3), Encap/Decap by ExtractAndExpand of the DH result.
 */
final class DhKem implements Kem {
  private static final byte[] EMPTY = new byte[0];

  private final CryptoProvider provider;
  private final KemAlgorithm kem;
  private final byte[] suiteId;
  private final BigInteger order;

  DhKem(CryptoProvider provider, KemAlgorithm kem) {
    this.provider = provider;
    this.kem = kem;
    this.suiteId = new byte[] {'K', 'E', 'M', (byte) (kem.kemId() >> 8), (byte) kem.kemId()};
    this.order = kem.isNist() ? CustomNamedCurves.getByName(curveName(kem)).getN() : null;
  }

  private static String curveName(KemAlgorithm kem) {
    return kem == KemAlgorithm.DHKEM_P256 ? "P-256" : kem == KemAlgorithm.DHKEM_P384 ? "P-384" : "P-521";
  }

  @Override
  public KeyPair deriveKeyPair(byte[] ikm) throws CryptoException {
    HashAlgorithm h = kem.kdf();
    byte[] prk = Hpke.labeledExtract(provider, h, suiteId, EMPTY, "dkp_prk", ikm);
    if (!kem.isNist()) {
      byte[] sk = Hpke.labeledExpand(provider, h, suiteId, prk, "sk", EMPTY, kem.privateKeyLength());
      return new KeyPair(Secret.wrap(sk), Bytes.wrap(provider.dhPublicKey(kem, sk)));
    }
    for (int counter = 0; counter < 256; counter++) {
      byte[] bytes = Hpke.labeledExpand(provider, h, suiteId, prk, "candidate", new byte[] {(byte) counter},
          kem.privateKeyLength());
      bytes[0] &= (byte) kem.bitmask();
      BigInteger sk = new BigInteger(1, bytes);
      if (sk.signum() != 0 && sk.compareTo(order) < 0) {
        return new KeyPair(Secret.wrap(bytes), Bytes.wrap(provider.dhPublicKey(kem, bytes)));
      }
    }
    throw new CryptoException("DeriveKeyPair: no valid candidate after 256 tries");
  }

  @Override
  public KeyPair generateKeyPair() {
    return provider.dhGenerateKeyPair(kem);
  }

  @Override
  public String keyProblem(byte[] publicKey) {
    return provider.hpkeKeyProblem(kem, publicKey);
  }

  @Override
  public byte[][] encap(byte[] pkR) throws CryptoException {
    return encapWith(provider.dhGenerateKeyPair(kem), pkR);
  }

  /** Encap with a given ephemeral key pair (deterministic tests), destroying its private key. */
  byte[][] encapWith(KeyPair eph, byte[] pkR) throws CryptoException {
    byte[] enc = eph.publicKey().toByteArray();
    byte[] dh = provider.dh(kem, eph.privateKey().unsafeArray(), pkR);
    eph.privateKey().destroy();
    return new byte[][] {extractAndExpand(dh, Hpke.concat(enc, pkR)), enc};
  }

  @Override
  public byte[] decap(byte[] enc, byte[] skR) throws CryptoException {
    byte[] dh = provider.dh(kem, skR, enc);
    return extractAndExpand(dh, Hpke.concat(enc, provider.dhPublicKey(kem, skR)));
  }

  private byte[] extractAndExpand(byte[] dh, byte[] kemContext) {
    HashAlgorithm h = kem.kdf();
    byte[] prk = Hpke.labeledExtract(provider, h, suiteId, EMPTY, "eae_prk", dh);
    return Hpke.labeledExpand(provider, h, suiteId, prk, "shared_secret", kemContext, kem.secretLength());
  }
}
