package org.jmls.crypto;

/**
 * The DHKEMs of RFC 9180 §7.1 used by RFC 9420 cipher suites. Public keys are raw for X25519 and
 * X448 and uncompressed SEC1 points for the NIST curves; private keys are Nsk bytes.
 */
public enum KemAlgorithm {
  DHKEM_P256(0x0010, 65, 32, 32, HashAlgorithm.SHA256, 0xff),
  DHKEM_P384(0x0011, 97, 48, 48, HashAlgorithm.SHA384, 0xff),
  DHKEM_P521(0x0012, 133, 66, 64, HashAlgorithm.SHA512, 0x01),
  DHKEM_X25519(0x0020, 32, 32, 32, HashAlgorithm.SHA256, 0),
  DHKEM_X448(0x0021, 56, 56, 64, HashAlgorithm.SHA512, 0);

  private final int kemId;
  private final int publicKeyLength;
  private final int privateKeyLength;
  private final int secretLength;
  private final HashAlgorithm kdf;
  private final int bitmask;

  KemAlgorithm(int kemId, int npk, int nsk, int nsecret, HashAlgorithm kdf, int bitmask) {
    this.kemId = kemId;
    this.publicKeyLength = npk;
    this.privateKeyLength = nsk;
    this.secretLength = nsecret;
    this.kdf = kdf;
    this.bitmask = bitmask;
  }

  public int kemId() {
    return kemId;
  }

  /** Npk (= Nenc for DHKEM). */
  public int publicKeyLength() {
    return publicKeyLength;
  }

  /** Nsk. */
  public int privateKeyLength() {
    return privateKeyLength;
  }

  /** Nsecret. */
  public int secretLength() {
    return secretLength;
  }

  /** The HKDF the KEM uses internally. */
  public HashAlgorithm kdf() {
    return kdf;
  }

  /** True for the NIST curves, whose DeriveKeyPair uses rejection sampling (RFC 9180 §7.1.3). */
  public boolean isNist() {
    return bitmask != 0;
  }

  /** The mask applied to the first candidate byte in DeriveKeyPair for NIST curves. */
  int bitmask() {
    return bitmask;
  }
}
