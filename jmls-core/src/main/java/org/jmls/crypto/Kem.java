package org.jmls.crypto;

/**
 * The KEM half of HPKE (RFC 9180 §4; draft-ietf-hpke-pq for the post-quantum KEMs), as {@link Hpke}
 * uses it: key pairs, key checks, and Encap/Decap feeding HPKE's key schedule.
 */
interface Kem {
  /** DeriveKeyPair(ikm). */
  KeyPair deriveKeyPair(byte[] ikm) throws CryptoException;

  /** GenerateKeyPair(): a fresh random key pair. */
  KeyPair generateKeyPair();

  /** Why {@code publicKey} is not a public key of this KEM, or null. */
  String keyProblem(byte[] publicKey);

  /** Encap(pkR): {shared_secret, enc}. */
  byte[][] encap(byte[] pkR) throws CryptoException;

  /** Decap(enc, skR); {@code enc} already has the KEM's length. */
  byte[] decap(byte[] enc, byte[] skR) throws CryptoException;
}
