package org.jmls.crypto;

import java.util.ArrayList;
import java.util.List;

/**
 * The cipher suites jmls runs, as parameters. {@link CryptoProvider#suite} turns one into a working
 * {@link MlsCrypto}.
 *
 * <ul>
 *   <li>The seven of RFC 9420 §17.1 (0x0001–0x0007).
 *   <li>The eleven of draft-ietf-mls-pq-ciphersuites-06 (ML-KEM and PQ/T hybrid KEMs, with
 *       traditional or ML-DSA signatures). The draft leaves their values to IANA ("TBD1".."TBD11"),
 *       so jmls puts TBDn at the private-use value 0xF000 + n until IANA assigns them (the values
 *       Wire's core-crypto uses too). Their KDF is HKDF with the suite's hash, as revision 06 says:
 *       revision 05 named SHAKE256, which MLS cannot use (it needs Extract and Expand).
 *   <li>Aliases: suites other stacks ship under their own values, recognised only when the
 *       operator enables that stack's alias ({@link SuiteAliases}): OpenMLS's X-Wing suite 0x004D and
 *       ts-mls's private-use suites 0xF007–0xF012.
 * </ul>
 */
public enum CipherSuite {
  MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519(
      0x0001, KemAlgorithm.DHKEM_X25519, AeadAlgorithm.AES128GCM, HashAlgorithm.SHA256, SignatureAlgorithm.ED25519),
  MLS_128_DHKEMP256_AES128GCM_SHA256_P256(
      0x0002, KemAlgorithm.DHKEM_P256, AeadAlgorithm.AES128GCM, HashAlgorithm.SHA256,
      SignatureAlgorithm.ECDSA_SECP256R1_SHA256),
  MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519(
      0x0003, KemAlgorithm.DHKEM_X25519, AeadAlgorithm.CHACHA20POLY1305, HashAlgorithm.SHA256,
      SignatureAlgorithm.ED25519),
  MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448(
      0x0004, KemAlgorithm.DHKEM_X448, AeadAlgorithm.AES256GCM, HashAlgorithm.SHA512, SignatureAlgorithm.ED448),
  MLS_256_DHKEMP521_AES256GCM_SHA512_P521(
      0x0005, KemAlgorithm.DHKEM_P521, AeadAlgorithm.AES256GCM, HashAlgorithm.SHA512,
      SignatureAlgorithm.ECDSA_SECP521R1_SHA512),
  MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448(
      0x0006, KemAlgorithm.DHKEM_X448, AeadAlgorithm.CHACHA20POLY1305, HashAlgorithm.SHA512,
      SignatureAlgorithm.ED448),
  MLS_256_DHKEMP384_AES256GCM_SHA384_P384(
      0x0007, KemAlgorithm.DHKEM_P384, AeadAlgorithm.AES256GCM, HashAlgorithm.SHA384,
      SignatureAlgorithm.ECDSA_SECP384R1_SHA384),

  // draft-ietf-mls-pq-ciphersuites-06, Table 1 and 2 (TBDn at 0xF000 + n).
  MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519(
      0xF001, KemAlgorithm.MLKEM768_X25519, AeadAlgorithm.AES128GCM, HashAlgorithm.SHA256, SignatureAlgorithm.ED25519),
  MLS_128_MLKEM768X25519_AES256GCM_SHA384_Ed25519(
      0xF002, KemAlgorithm.MLKEM768_X25519, AeadAlgorithm.AES256GCM, HashAlgorithm.SHA384, SignatureAlgorithm.ED25519),
  MLS_128_MLKEM768P256_AES128GCM_SHA256_P256(
      0xF003, KemAlgorithm.MLKEM768_P256, AeadAlgorithm.AES128GCM, HashAlgorithm.SHA256,
      SignatureAlgorithm.ECDSA_SECP256R1_SHA256),
  MLS_128_MLKEM768P256_AES256GCM_SHA384_P256(
      0xF004, KemAlgorithm.MLKEM768_P256, AeadAlgorithm.AES256GCM, HashAlgorithm.SHA384,
      SignatureAlgorithm.ECDSA_SECP256R1_SHA256),
  MLS_192_MLKEM1024P384_AES256GCM_SHA384_P384(
      0xF005, KemAlgorithm.MLKEM1024_P384, AeadAlgorithm.AES256GCM, HashAlgorithm.SHA384,
      SignatureAlgorithm.ECDSA_SECP384R1_SHA384),
  MLS_128_MLKEM768_AES256GCM_SHA384_Ed25519(
      0xF006, KemAlgorithm.ML_KEM_768, AeadAlgorithm.AES256GCM, HashAlgorithm.SHA384, SignatureAlgorithm.ED25519),
  MLS_128_MLKEM768_AES256GCM_SHA384_P256(
      0xF007, KemAlgorithm.ML_KEM_768, AeadAlgorithm.AES256GCM, HashAlgorithm.SHA384,
      SignatureAlgorithm.ECDSA_SECP256R1_SHA256),
  MLS_192_MLKEM1024_AES256GCM_SHA384_P384(
      0xF008, KemAlgorithm.ML_KEM_1024, AeadAlgorithm.AES256GCM, HashAlgorithm.SHA384,
      SignatureAlgorithm.ECDSA_SECP384R1_SHA384),
  MLS_128_MLKEM768X25519_CHACHA20POLY1305_SHA384_MLDSA44(
      0xF009, KemAlgorithm.MLKEM768_X25519, AeadAlgorithm.CHACHA20POLY1305, HashAlgorithm.SHA384,
      SignatureAlgorithm.MLDSA44),
  MLS_192_MLKEM768_AES256GCM_SHA384_MLDSA65(
      0xF00A, KemAlgorithm.ML_KEM_768, AeadAlgorithm.AES256GCM, HashAlgorithm.SHA384, SignatureAlgorithm.MLDSA65),
  MLS_256_MLKEM1024_AES256GCM_SHA384_MLDSA87(
      0xF00B, KemAlgorithm.ML_KEM_1024, AeadAlgorithm.AES256GCM, HashAlgorithm.SHA384, SignatureAlgorithm.MLDSA87),

  // OpenMLS (alias "openmls"): X-Wing with ChaCha20-Poly1305, SHA-256 and Ed25519.
  OPENMLS_MLS_256_XWING_CHACHA20POLY1305_SHA256_Ed25519(
      0x004D, KemAlgorithm.MLKEM768_X25519, AeadAlgorithm.CHACHA20POLY1305, HashAlgorithm.SHA256,
      SignatureAlgorithm.ED25519, SuiteAliases.Alias.OPENMLS),

  // ts-mls (alias "ts-mls"): HKDF-SHA512 as KDF throughout, the suite's hash for hashing only.
  TSMLS_MLS_128_MLKEM512_AES128GCM_SHA256_Ed25519(0xF007, KemAlgorithm.ML_KEM_512, AeadAlgorithm.AES256GCM,
      HashAlgorithm.SHA256, HashAlgorithm.SHA512, SignatureAlgorithm.ED25519, SuiteAliases.Alias.TS_MLS),
  TSMLS_MLS_128_MLKEM512_CHACHA20POLY1305_SHA256_Ed25519(0xF008, KemAlgorithm.ML_KEM_512,
      AeadAlgorithm.CHACHA20POLY1305, HashAlgorithm.SHA256, HashAlgorithm.SHA512, SignatureAlgorithm.ED25519,
      SuiteAliases.Alias.TS_MLS),
  TSMLS_MLS_256_MLKEM768_AES256GCM_SHA384_Ed25519(0xF009, KemAlgorithm.ML_KEM_768, AeadAlgorithm.AES256GCM,
      HashAlgorithm.SHA384, HashAlgorithm.SHA512, SignatureAlgorithm.ED25519, SuiteAliases.Alias.TS_MLS),
  TSMLS_MLS_256_MLKEM768_CHACHA20POLY1305_SHA384_Ed25519(0xF00A, KemAlgorithm.ML_KEM_768,
      AeadAlgorithm.CHACHA20POLY1305, HashAlgorithm.SHA384, HashAlgorithm.SHA512, SignatureAlgorithm.ED25519,
      SuiteAliases.Alias.TS_MLS),
  TSMLS_MLS_256_MLKEM1024_AES256GCM_SHA512_Ed25519(0xF00B, KemAlgorithm.ML_KEM_1024, AeadAlgorithm.AES256GCM,
      HashAlgorithm.SHA512, HashAlgorithm.SHA512, SignatureAlgorithm.ED25519, SuiteAliases.Alias.TS_MLS),
  TSMLS_MLS_256_MLKEM1024_CHACHA20POLY1305_SHA512_Ed25519(0xF00C, KemAlgorithm.ML_KEM_1024,
      AeadAlgorithm.CHACHA20POLY1305, HashAlgorithm.SHA512, HashAlgorithm.SHA512, SignatureAlgorithm.ED25519,
      SuiteAliases.Alias.TS_MLS),
  TSMLS_MLS_256_XWING_AES256GCM_SHA512_Ed25519(0xF00D, KemAlgorithm.MLKEM768_X25519, AeadAlgorithm.AES256GCM,
      HashAlgorithm.SHA512, HashAlgorithm.SHA512, SignatureAlgorithm.ED25519, SuiteAliases.Alias.TS_MLS),
  TSMLS_MLS_256_XWING_CHACHA20POLY1305_SHA512_Ed25519(0xF00E, KemAlgorithm.MLKEM768_X25519,
      AeadAlgorithm.CHACHA20POLY1305, HashAlgorithm.SHA512, HashAlgorithm.SHA512, SignatureAlgorithm.ED25519,
      SuiteAliases.Alias.TS_MLS),
  TSMLS_MLS_256_MLKEM1024_AES256GCM_SHA512_MLDSA87(0xF00F, KemAlgorithm.ML_KEM_1024, AeadAlgorithm.AES256GCM,
      HashAlgorithm.SHA512, HashAlgorithm.SHA512, SignatureAlgorithm.MLDSA87, SuiteAliases.Alias.TS_MLS),
  TSMLS_MLS_256_MLKEM1024_CHACHA20POLY1305_SHA512_MLDSA87(0xF010, KemAlgorithm.ML_KEM_1024,
      AeadAlgorithm.CHACHA20POLY1305, HashAlgorithm.SHA512, HashAlgorithm.SHA512, SignatureAlgorithm.MLDSA87,
      SuiteAliases.Alias.TS_MLS),
  TSMLS_MLS_256_XWING_AES256GCM_SHA512_MLDSA87(0xF011, KemAlgorithm.MLKEM768_X25519, AeadAlgorithm.AES256GCM,
      HashAlgorithm.SHA512, HashAlgorithm.SHA512, SignatureAlgorithm.MLDSA87, SuiteAliases.Alias.TS_MLS),
  TSMLS_MLS_256_XWING_CHACHA20POLY1305_SHA512_MLDSA87(0xF012, KemAlgorithm.MLKEM768_X25519,
      AeadAlgorithm.CHACHA20POLY1305, HashAlgorithm.SHA512, HashAlgorithm.SHA512, SignatureAlgorithm.MLDSA87,
      SuiteAliases.Alias.TS_MLS);

  private final int id;
  private final KemAlgorithm kem;
  private final AeadAlgorithm aead;
  private final HashAlgorithm hash;
  private final HashAlgorithm kdf;
  private final SignatureAlgorithm signature;
  private final SuiteAliases.Alias alias;

  CipherSuite(int id, KemAlgorithm kem, AeadAlgorithm aead, HashAlgorithm hash, SignatureAlgorithm sig) {
    this(id, kem, aead, hash, hash, sig, null);
  }

  CipherSuite(int id, KemAlgorithm kem, AeadAlgorithm aead, HashAlgorithm hash, SignatureAlgorithm sig,
      SuiteAliases.Alias alias) {
    this(id, kem, aead, hash, hash, sig, alias);
  }

  CipherSuite(int id, KemAlgorithm kem, AeadAlgorithm aead, HashAlgorithm hash, HashAlgorithm kdf,
      SignatureAlgorithm sig, SuiteAliases.Alias alias) {
    this.id = id;
    this.kem = kem;
    this.aead = aead;
    this.hash = hash;
    this.kdf = kdf;
    this.signature = sig;
    this.alias = alias;
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

  /** The hash of transcripts, references and MACs. */
  public HashAlgorithm hash() {
    return hash;
  }

  /** The KDF's hash (HKDF): the same as {@link #hash} except in some aliased suites. */
  public HashAlgorithm kdf() {
    return kdf;
  }

  public SignatureAlgorithm signature() {
    return signature;
  }

  /** The stack whose value this is, or null for a suite of the RFC or the PQ draft. */
  public SuiteAliases.Alias alias() {
    return alias;
  }

  /** True when the KEM resists a quantum attacker (ML-KEM alone or in a hybrid). */
  public boolean isPostQuantum() {
    return kem.isPostQuantum();
  }

  /** True when signatures resist a quantum attacker too (ML-DSA). */
  public boolean hasPostQuantumSignatures() {
    return signature.isPostQuantum();
  }

  /** A short name for lists and errors: {@code 0xF001 MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519}. */
  public String label() {
    return String.format("0x%04X %s", id, name());
  }

  /**
   * The suite with registry value {@code id} in this process's table, or null when jmls does not
   * run it: the RFC's seven, the PQ draft's eleven, and the aliases the operator enabled ({@link
   * SuiteAliases}), an enabled alias taking its value over from a draft suite.
   */
  public static CipherSuite of(int id) {
    return SuiteAliases.lookup(id);
  }

  /** Every suite offered in this process: the RFC's, the draft's, and the enabled aliases. */
  public static List<CipherSuite> all() {
    List<CipherSuite> out = new ArrayList<>();
    for (CipherSuite s : values()) {
      if (of(s.id) == s) {
        out.add(s);
      }
    }
    return out;
  }
}
