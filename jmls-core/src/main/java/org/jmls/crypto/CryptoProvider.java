package org.jmls.crypto;

/**
 * The primitives jmls needs, so they can be swapped (a hardware module, a FIPS provider, a faster
 * curve implementation). Keys travel as their RFC 9420 wire encodings. Implementations must be
 * thread-safe. {@link DefaultCryptoProvider} is the stock choice; {@link #suite} binds a provider to
 * a cipher suite for the labeled MLS operations.
 */
public interface CryptoProvider {
  byte[] hash(HashAlgorithm alg, byte[] data);

  byte[] hmac(HashAlgorithm alg, byte[] key, byte[] data);

  byte[] aeadSeal(AeadAlgorithm alg, byte[] key, byte[] nonce, byte[] aad, byte[] plaintext);

  /** Fails with {@link CryptoException} when the tag does not verify. */
  byte[] aeadOpen(AeadAlgorithm alg, byte[] key, byte[] nonce, byte[] aad, byte[] ciphertext)
      throws CryptoException;

  /** A fresh uniformly random DH private key of the KEM's group, with its public key. */
  KeyPair dhGenerateKeyPair(KemAlgorithm kem);

  /** The public key of a DH private key; fails if the private key is not a valid scalar. */
  byte[] dhPublicKey(KemAlgorithm kem, byte[] privateKey) throws CryptoException;

  /**
   * The DH shared secret of RFC 9180 §7.1 (x-coordinate for NIST curves); fails on an invalid
   * public key or an all-zero/identity result.
   */
  byte[] dh(KemAlgorithm kem, byte[] privateKey, byte[] publicKey) throws CryptoException;

  KeyPair signatureGenerateKeyPair(SignatureAlgorithm alg);

  byte[] signaturePublicKey(SignatureAlgorithm alg, byte[] privateKey) throws CryptoException;

  byte[] sign(SignatureAlgorithm alg, byte[] privateKey, byte[] message) throws CryptoException;

  /** False for a bad signature or a malformed key or signature; never throws for bad input. */
  boolean verify(SignatureAlgorithm alg, byte[] publicKey, byte[] message, byte[] signature);

  /** Fills {@code out} from a cryptographically secure source. */
  void randomBytes(byte[] out);

  /**
   * Why {@code publicKey} is not a valid public key of {@code alg} (RFC 9420 §5.1.1: RFC 8032 keys
   * for EdDSA, an UncompressedPointRepresentation on the curve for ECDSA), or null when it is (or
   * when this provider cannot tell).
   */
  default String signatureKeyProblem(SignatureAlgorithm alg, byte[] publicKey) {
    return null;
  }

  /**
   * Why {@code publicKey} is not a valid public key of {@code kem} (RFC 9180 §7.1.4: the right
   * length for X25519/X448, an uncompressed point on the curve for the NIST curves), or null when it
   * is (or when this provider cannot tell).
   */
  default String hpkeKeyProblem(KemAlgorithm kem, byte[] publicKey) {
    return null;
  }

  /** The MLS operations of {@code suite} over this provider. */
  default MlsCrypto suite(CipherSuite suite) {
    return new MlsCrypto(suite, this);
  }
}
