package org.jmls.crypto;

/**
 * The HPKE KEMs of jmls's cipher suites: the DHKEMs of RFC 9180 §7.1 used by RFC 9420, and the
 * post-quantum KEMs of draft-ietf-hpke-pq used by draft-ietf-mls-pq-ciphersuites (pure ML-KEM and
 * the PQ/T hybrids). DHKEM public keys are raw for X25519 and X448 and uncompressed SEC1 points for
 * the NIST curves, private keys Nsk bytes. Post-quantum keys are the draft's fixed-length strings:
 * an ML-KEM private key is its 64-byte seed (d || z), a hybrid's its 32-byte seed.
 */
public enum KemAlgorithm {
  DHKEM_P256(0x0010, Kind.DH, 65, 65, 32, 32, HashAlgorithm.SHA256, 0xff),
  DHKEM_P384(0x0011, Kind.DH, 97, 97, 48, 48, HashAlgorithm.SHA384, 0xff),
  DHKEM_P521(0x0012, Kind.DH, 133, 133, 66, 64, HashAlgorithm.SHA512, 0x01),
  DHKEM_X25519(0x0020, Kind.DH, 32, 32, 32, 32, HashAlgorithm.SHA256, 0),
  DHKEM_X448(0x0021, Kind.DH, 56, 56, 56, 64, HashAlgorithm.SHA512, 0),
  ML_KEM_512(0x0040, Kind.ML_KEM, 800, 768, 64, 32, null, 0),
  ML_KEM_768(0x0041, Kind.ML_KEM, 1184, 1088, 64, 32, null, 0),
  ML_KEM_1024(0x0042, Kind.ML_KEM, 1568, 1568, 64, 32, null, 0),
  /** ML-KEM-768 + P-256 (draft-irtf-cfrg-concrete-hybrid-kems). */
  MLKEM768_P256(0x0050, Kind.EC_HYBRID, 1249, 1153, 32, 32, null, 0),
  /** ML-KEM-1024 + P-384 (draft-irtf-cfrg-concrete-hybrid-kems). */
  MLKEM1024_P384(0x0051, Kind.EC_HYBRID, 1665, 1665, 32, 32, null, 0),
  /** ML-KEM-768 + X25519, the X-Wing KEM (draft-connolly-cfrg-xwing-kem). */
  MLKEM768_X25519(0x647a, Kind.X_WING, 1216, 1120, 32, 32, null, 0);

  /** How the KEM is built. */
  public enum Kind {
    /** DHKEM over an elliptic curve (RFC 9180 §4.1). */
    DH,
    /** ML-KEM (FIPS 203) as an HPKE KEM (draft-ietf-hpke-pq §3). */
    ML_KEM,
    /** X-Wing, the ML-KEM-768 + X25519 hybrid (draft-ietf-hpke-pq §4). */
    X_WING,
    /** ML-KEM + a NIST curve (draft-ietf-hpke-pq §4). */
    EC_HYBRID
  }

  private final int kemId;
  private final Kind kind;
  private final int publicKeyLength;
  private final int encLength;
  private final int privateKeyLength;
  private final int secretLength;
  private final HashAlgorithm kdf;
  private final int bitmask;

  KemAlgorithm(int kemId, Kind kind, int npk, int nenc, int nsk, int nsecret, HashAlgorithm kdf, int bitmask) {
    this.kemId = kemId;
    this.kind = kind;
    this.publicKeyLength = npk;
    this.encLength = nenc;
    this.privateKeyLength = nsk;
    this.secretLength = nsecret;
    this.kdf = kdf;
    this.bitmask = bitmask;
  }

  public int kemId() {
    return kemId;
  }

  public Kind kind() {
    return kind;
  }

  /** True for the post-quantum KEMs (pure ML-KEM and the hybrids). */
  public boolean isPostQuantum() {
    return kind != Kind.DH;
  }

  /** Npk. */
  public int publicKeyLength() {
    return publicKeyLength;
  }

  /** Nenc: the length of the KEM output (equal to Npk for a DHKEM). */
  public int encLength() {
    return encLength;
  }

  /** Nsk. */
  public int privateKeyLength() {
    return privateKeyLength;
  }

  /** Nsecret. */
  public int secretLength() {
    return secretLength;
  }

  /** The HKDF a DHKEM uses internally; null for the post-quantum KEMs, which derive with SHAKE256. */
  public HashAlgorithm kdf() {
    return kdf;
  }

  /** True for the NIST-curve DHKEMs, whose DeriveKeyPair uses rejection sampling (RFC 9180 §7.1.3). */
  public boolean isNist() {
    return bitmask != 0;
  }

  /** The mask applied to the first candidate byte in DeriveKeyPair for NIST curves. */
  int bitmask() {
    return bitmask;
  }
}
