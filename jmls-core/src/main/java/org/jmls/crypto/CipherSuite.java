package org.jmls.crypto;

import java.util.List;

/**
 * The cipher suites of RFC 9420 §17.1, as parameters. {@link CryptoProvider#suite} turns one into
 * a working {@link MlsCrypto}.
 */
public enum CipherSuite {
  MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519(
      0x0001, KemAlgorithm.DHKEM_X25519, AeadAlgorithm.AES128GCM, HashAlgorithm.SHA256,
      SignatureAlgorithm.ED25519),
  MLS_128_DHKEMP256_AES128GCM_SHA256_P256(
      0x0002, KemAlgorithm.DHKEM_P256, AeadAlgorithm.AES128GCM, HashAlgorithm.SHA256,
      SignatureAlgorithm.ECDSA_SECP256R1_SHA256),
  MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519(
      0x0003, KemAlgorithm.DHKEM_X25519, AeadAlgorithm.CHACHA20POLY1305, HashAlgorithm.SHA256,
      SignatureAlgorithm.ED25519),
  MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448(
      0x0004, KemAlgorithm.DHKEM_X448, AeadAlgorithm.AES256GCM, HashAlgorithm.SHA512,
      SignatureAlgorithm.ED448),
  MLS_256_DHKEMP521_AES256GCM_SHA512_P521(
      0x0005, KemAlgorithm.DHKEM_P521, AeadAlgorithm.AES256GCM, HashAlgorithm.SHA512,
      SignatureAlgorithm.ECDSA_SECP521R1_SHA512),
  MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448(
      0x0006, KemAlgorithm.DHKEM_X448, AeadAlgorithm.CHACHA20POLY1305, HashAlgorithm.SHA512,
      SignatureAlgorithm.ED448),
  MLS_256_DHKEMP384_AES256GCM_SHA384_P384(
      0x0007, KemAlgorithm.DHKEM_P384, AeadAlgorithm.AES256GCM, HashAlgorithm.SHA384,
      SignatureAlgorithm.ECDSA_SECP384R1_SHA384);

  private final int id;
  private final KemAlgorithm kem;
  private final AeadAlgorithm aead;
  private final HashAlgorithm hash;
  private final SignatureAlgorithm signature;

  CipherSuite(int id, KemAlgorithm kem, AeadAlgorithm aead, HashAlgorithm hash, SignatureAlgorithm sig) {
    this.id = id;
    this.kem = kem;
    this.aead = aead;
    this.hash = hash;
    this.signature = sig;
  }

  /** The registry value on the wire. */
  public int id() {
    return id;
  }

  public KemAlgorithm kem() {
    return kem;
  }

  public AeadAlgorithm aead() {
    return aead;
  }

  /** Hash, and HKDF's hash. */
  public HashAlgorithm hash() {
    return hash;
  }

  public SignatureAlgorithm signature() {
    return signature;
  }

  /** The suite with registry value {@code id}, or null if it is not one of the RFC's seven. */
  public static CipherSuite of(int id) {
    return id >= 1 && id <= 7 ? values()[id - 1] : null;
  }

  public static List<CipherSuite> all() {
    return List.of(values());
  }
}
