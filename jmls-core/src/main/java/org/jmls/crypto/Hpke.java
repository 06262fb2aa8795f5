package org.jmls.crypto;

import java.nio.charset.StandardCharsets;
import org.jmls.Bytes;
import org.jmls.message.HpkeCiphertext;

/**
 * HPKE (RFC 9180) in base mode, single-shot: exactly what RFC 9420 uses (§5.1.3,
 * EncryptWithLabel). Written over {@link CryptoProvider} so the AEAD runs on the JDK's intrinsics
 * and the DH on BouncyCastle's curve code, and so a caller can run independent encryptions in
 * parallel. Cross-checked against BouncyCastle's own HPKE in the tests.
 *
 * <p>The KEM is a {@link Kem}: {@link DhKem}, or for the post-quantum KEMs of draft-ietf-hpke-pq
 * {@link PqKem} (ML-KEM, X-Wing), whose Encap and Decap feed the same key schedule. The ML-KEM +
 * NIST-curve hybrids are the exception: only BouncyCastle's own HPKE offers them, so seal, open and
 * export go to it whole ({@link EcHybridHpke}).
 */
public final class Hpke {
  private static final byte[] VERSION = "HPKE-v1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EMPTY = new byte[0];

  private final CryptoProvider provider;
  private final KemAlgorithm kem;
  private final HashAlgorithm kdf;
  private final AeadAlgorithm aead;
  private final byte[] hpkeSuiteId;
  /** psk_id_hash of base mode (an empty psk_id): the same for every operation of this suite. */
  private final byte[] pskIdHash;
  private final Kem kemOps;
  /** The whole of HPKE for the ML-KEM + NIST-curve hybrids; null otherwise. */
  private final EcHybridHpke ecHybrid;

  public Hpke(CryptoProvider provider, KemAlgorithm kem, HashAlgorithm kdf, AeadAlgorithm aead) {
    this.provider = provider;
    this.kem = kem;
    this.kdf = kdf;
    this.aead = aead;
    this.hpkeSuiteId =
        new byte[] {
          'H', 'P', 'K', 'E',
          (byte) (kem.kemId() >> 8), (byte) kem.kemId(),
          (byte) (kdf.kdfId() >> 8), (byte) kdf.kdfId(),
          (byte) (aead.aeadId() >> 8), (byte) aead.aeadId()
        };
    this.ecHybrid = kem.kind() == KemAlgorithm.Kind.EC_HYBRID ? new EcHybridHpke(kem, kdf, aead) : null;
    this.kemOps = kem.kind() == KemAlgorithm.Kind.DH ? new DhKem(provider, kem) : ecHybrid != null ? ecHybrid : new PqKem(kem, provider);
    this.pskIdHash = labeledExtract(kdf, hpkeSuiteId, EMPTY, "psk_id_hash", EMPTY);
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int o = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, o, p.length);
      o += p.length;
    }
    return out;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** LabeledExtract of RFC 9180 §4 with HKDF over {@code h}. */
  static byte[] labeledExtract(CryptoProvider p, HashAlgorithm h, byte[] suiteId, byte[] salt, String label, byte[] ikm) {
    return Hkdf.extract(p, h, salt, concat(VERSION, suiteId, ascii(label), ikm));
  }

  /** LabeledExpand of RFC 9180 §4 with HKDF over {@code h}. */
  static byte[] labeledExpand(CryptoProvider p, HashAlgorithm h, byte[] suiteId, byte[] prk, String label, byte[] info,
      int length) {
    byte[] prefix = {(byte) (length >> 8), (byte) length};
    return Hkdf.expand(p, h, prk, concat(prefix, VERSION, suiteId, ascii(label), info), length);
  }

  private byte[] labeledExtract(HashAlgorithm h, byte[] suiteId, byte[] salt, String label, byte[] ikm) {
    return labeledExtract(provider, h, suiteId, salt, label, ikm);
  }

  private byte[] labeledExpand(HashAlgorithm h, byte[] suiteId, byte[] prk, String label, byte[] info, int length) {
    return labeledExpand(provider, h, suiteId, prk, label, info, length);
  }

  /** DeriveKeyPair(ikm) of the KEM (RFC 9180 §7.1.3, draft-ietf-hpke-pq §3-4). */
  public KeyPair deriveKeyPair(byte[] ikm) throws CryptoException {
    return kemOps.deriveKeyPair(ikm);
  }

  /** GenerateKeyPair() of the KEM: a fresh random key pair. */
  public KeyPair generateKeyPair() {
    return kemOps.generateKeyPair();
  }

  /** Why {@code publicKey} is not a public key of the KEM, or null. */
  String keyProblem(byte[] publicKey) {
    return kemOps.keyProblem(publicKey);
  }

  /** Decap(enc, skR), after checking enc's length. */
  private byte[] decap(byte[] enc, byte[] skR) throws CryptoException {
    if (enc.length != kem.encLength()) {
      throw new CryptoException("HPKE enc of " + enc.length + " bytes, expected " + kem.encLength());
    }
    return kemOps.decap(enc, skR);
  }

  /** An encapsulation and the secret exported from its context (RFC 9180 §5.3). */
  public record Exported(byte[] enc, byte[] secret) {}

  /** SetupBaseS(pkR, info) followed by Export(exporterContext, length). */
  public Exported sendExport(byte[] pkR, byte[] info, byte[] exporterContext, int length) throws CryptoException {
    if (ecHybrid != null) {
      byte[][] out = ecHybrid.sendExport(pkR, info, exporterContext, length);
      return new Exported(out[0], out[1]);
    }
    byte[][] se = kemOps.encap(pkR);
    return new Exported(se[1], export(se[0], info, exporterContext, length));
  }

  /** SetupBaseR(enc, skR, info) followed by Export(exporterContext, length). */
  public byte[] receiveExport(byte[] enc, byte[] skR, byte[] info, byte[] exporterContext, int length) throws CryptoException {
    if (ecHybrid != null) {
      return ecHybrid.receiveExport(enc, skR, info, exporterContext, length);
    }
    return export(decap(enc, skR), info, exporterContext, length);
  }

  /**
   * The base-mode key_schedule_context of RFC 9180 §5.1 for one {@code info}: {@code mode ||
   * psk_id_hash || info_hash}. It depends on the info alone, not on the recipient, so a sender that
   * seals to many recipients with the same info (a Welcome's group secrets, whose info holds the
   * whole encrypted GroupInfo) hashes that info once, not once per recipient.
   */
  public static final class Info {
    private final byte[] keyScheduleContext;
    /** The info itself, for the KEMs whose whole HPKE BouncyCastle runs. */
    private final byte[] info;

    private Info(byte[] keyScheduleContext, byte[] info) {
      this.keyScheduleContext = keyScheduleContext;
      this.info = info;
    }
  }

  /** Hashes {@code info} into the key schedule context once, for any number of {@link #seal(byte[], Info, byte[], byte[])}. */
  public Info prepare(byte[] info) {
    byte[] infoHash = labeledExtract(kdf, hpkeSuiteId, EMPTY, "info_hash", info);
    return new Info(concat(new byte[] {0}, pskIdHash, infoHash), ecHybrid != null ? info : null);
  }

  private byte[] export(byte[] sharedSecret, byte[] info, byte[] exporterContext, int length) {
    byte[] context = prepare(info).keyScheduleContext;
    byte[] secret = labeledExtract(kdf, hpkeSuiteId, sharedSecret, "secret", EMPTY);
    byte[] exporterSecret = labeledExpand(kdf, hpkeSuiteId, secret, "exp", context, kdf.outputLength());
    java.util.Arrays.fill(secret, (byte) 0);
    byte[] out = labeledExpand(kdf, hpkeSuiteId, exporterSecret, "sec", exporterContext, length);
    java.util.Arrays.fill(exporterSecret, (byte) 0);
    return out;
  }

  /** The AEAD key and base nonce of the base-mode key schedule (RFC 9180 §5.1). */
  private byte[][] keySchedule(byte[] sharedSecret, Info info) {
    byte[] context = info.keyScheduleContext;
    byte[] secret = labeledExtract(kdf, hpkeSuiteId, sharedSecret, "secret", EMPTY);
    byte[] key = labeledExpand(kdf, hpkeSuiteId, secret, "key", context, aead.keyLength());
    byte[] nonce = labeledExpand(kdf, hpkeSuiteId, secret, "base_nonce", context, aead.nonceLength());
    java.util.Arrays.fill(secret, (byte) 0);
    return new byte[][] {key, nonce};
  }

  /** SealBase(pkR, info, aad, pt) with a fresh ephemeral key. */
  public HpkeCiphertext seal(byte[] pkR, byte[] info, byte[] aad, byte[] plaintext) throws CryptoException {
    return seal(pkR, prepare(info), aad, plaintext);
  }

  /** SealBase(pkR, info, aad, pt) with a fresh ephemeral key, the info hashed beforehand by {@link #prepare}. */
  public HpkeCiphertext seal(byte[] pkR, Info info, byte[] aad, byte[] plaintext) throws CryptoException {
    if (ecHybrid != null) {
      byte[][] out = ecHybrid.seal(pkR, info.info, aad, plaintext);
      return new HpkeCiphertext(Bytes.wrap(out[0]), Bytes.wrap(out[1]));
    }
    return sealWith(kemOps.encap(pkR), info, aad, plaintext);
  }

  /** SealBase with a given ephemeral key pair (deterministic tests only). */
  public HpkeCiphertext sealWithEphemeral(KeyPair ephemeral, byte[] pkR, byte[] info, byte[] aad, byte[] plaintext)
      throws CryptoException {
    return sealWithEphemeral(ephemeral, pkR, prepare(info), aad, plaintext);
  }

  private HpkeCiphertext sealWithEphemeral(KeyPair ephemeral, byte[] pkR, Info info, byte[] aad, byte[] plaintext)
      throws CryptoException {
    if (!(kemOps instanceof DhKem)) {
      throw new CryptoException("a given ephemeral key applies to DHKEMs only, not " + kem);
    }
    return sealWith(((DhKem) kemOps).encapWith(ephemeral, pkR), info, aad, plaintext);
  }

  private HpkeCiphertext sealWith(byte[][] sharedAndEnc, Info info, byte[] aad, byte[] plaintext) {
    byte[][] kn = keySchedule(sharedAndEnc[0], info);
    byte[] ct = provider.aeadSeal(aead, kn[0], kn[1], aad, plaintext);
    java.util.Arrays.fill(kn[0], (byte) 0);
    java.util.Arrays.fill(sharedAndEnc[0], (byte) 0);
    return new HpkeCiphertext(Bytes.wrap(sharedAndEnc[1]), Bytes.wrap(ct));
  }

  /** OpenBase(enc, skR, info, aad, ct). */
  public byte[] open(byte[] enc, byte[] skR, byte[] info, byte[] aad, byte[] ciphertext) throws CryptoException {
    if (ecHybrid != null) {
      return ecHybrid.open(enc, skR, info, aad, ciphertext);
    }
    byte[] shared = decap(enc, skR);
    byte[][] kn = keySchedule(shared, prepare(info));
    java.util.Arrays.fill(shared, (byte) 0);
    try {
      return provider.aeadOpen(aead, kn[0], kn[1], aad, ciphertext);
    } finally {
      java.util.Arrays.fill(kn[0], (byte) 0);
    }
  }
}
