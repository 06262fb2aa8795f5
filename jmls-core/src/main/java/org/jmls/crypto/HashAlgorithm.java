package org.jmls.crypto;

/** Hash functions of the RFC 9420 cipher suites, with the HPKE KDF id of HKDF over each (RFC 9180 §7.2). */
public enum HashAlgorithm {
  SHA256("SHA-256", "HmacSHA256", 32, 0x0001),
  SHA384("SHA-384", "HmacSHA384", 48, 0x0002),
  SHA512("SHA-512", "HmacSHA512", 64, 0x0003);

  final String jcaDigest;
  final String jcaMac;
  private final int outputLength;
  private final int kdfId;

  HashAlgorithm(String jcaDigest, String jcaMac, int outputLength, int kdfId) {
    this.jcaDigest = jcaDigest;
    this.jcaMac = jcaMac;
    this.outputLength = outputLength;
    this.kdfId = kdfId;
  }

  /** Nh: digest and HMAC output length in bytes. */
  public int outputLength() {
    return outputLength;
  }

  /** HPKE KDF identifier of HKDF with this hash. */
  public int kdfId() {
    return kdfId;
  }
}
