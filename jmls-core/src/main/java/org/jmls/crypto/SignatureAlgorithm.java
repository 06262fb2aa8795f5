package org.jmls.crypto;

/**
 * Signature schemes of jmls's cipher suites (TLS SignatureScheme names). ECDSA signatures are
 * DER-encoded and public keys are uncompressed points, as in TLS 1.3 (RFC 9420 §5.1.2). ML-DSA
 * (FIPS 204, pure, empty context, as draft-ietf-tls-mldsa uses it) keys are the raw public key and
 * the 32-byte seed ξ as private key.
 */
public enum SignatureAlgorithm {
  ED25519(32, 0x0807),
  ED448(57, 0x0808),
  ECDSA_SECP256R1_SHA256(32, 0x0403),
  ECDSA_SECP384R1_SHA384(48, 0x0503),
  ECDSA_SECP521R1_SHA512(66, 0x0603),
  MLDSA44(32, 0x0904),
  MLDSA65(32, 0x0905),
  MLDSA87(32, 0x0906);

  private final int privateKeyLength;
  private final int scheme;

  SignatureAlgorithm(int privateKeyLength, int scheme) {
    this.privateKeyLength = privateKeyLength;
    this.scheme = scheme;
  }

  public int privateKeyLength() {
    return privateKeyLength;
  }

  /** The TLS SignatureScheme code point. */
  public int scheme() {
    return scheme;
  }

  /** True for ML-DSA. */
  public boolean isPostQuantum() {
    return this == MLDSA44 || this == MLDSA65 || this == MLDSA87;
  }
}
