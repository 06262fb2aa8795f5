package org.jmls.crypto;

/**
 * Signature schemes of the RFC 9420 cipher suites (TLS SignatureScheme names). ECDSA signatures
 * are DER-encoded and public keys are uncompressed points, as in TLS 1.3 (RFC 9420 §5.1.2).
 */
public enum SignatureAlgorithm {
  ED25519(32),
  ED448(57),
  ECDSA_SECP256R1_SHA256(32),
  ECDSA_SECP384R1_SHA384(48),
  ECDSA_SECP521R1_SHA512(66);

  private final int privateKeyLength;

  SignatureAlgorithm(int privateKeyLength) {
    this.privateKeyLength = privateKeyLength;
  }

  public int privateKeyLength() {
    return privateKeyLength;
  }
}
