package org.jmls.crypto;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.bouncycastle.crypto.SecretWithEncapsulation;
import org.bouncycastle.crypto.digests.SHAKEDigest;
import org.bouncycastle.crypto.kems.MLKEMExtractor;
import org.bouncycastle.crypto.kems.MLKEMGenerator;
import org.bouncycastle.crypto.params.MLKEMParameters;
import org.bouncycastle.crypto.params.MLKEMPrivateKeyParameters;
import org.bouncycastle.crypto.params.MLKEMPublicKeyParameters;
import org.bouncycastle.pqc.crypto.xwing.XWingKEMExtractor;
import org.bouncycastle.pqc.crypto.xwing.XWingKEMGenerator;
import org.bouncycastle.pqc.crypto.xwing.XWingPrivateKeyParameters;
import org.bouncycastle.pqc.crypto.xwing.XWingPublicKeyParameters;
import org.jmls.Bytes;

/**
 * The HPKE KEM interface of draft-ietf-hpke-pq for ML-KEM (§3) and X-Wing (§4), over BouncyCastle's
 * ML-KEM and X-Wing: DeriveKeyPair through SHAKE256's LabeledDerive, seeds as private keys, Encap
 * and Decap as the underlying KEM's. No lattice arithmetic is written here.
 */
final class PqKem implements Kem {
  private static final byte[] VERSION = "HPKE-v1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DERIVE_KEY_PAIR = "DeriveKeyPair".getBytes(StandardCharsets.US_ASCII);

  private final KemAlgorithm kem;
  private final CryptoProvider provider;
  private final byte[] suiteId;
  private final MLKEMParameters mlkem;

  PqKem(KemAlgorithm kem, CryptoProvider provider) {
    if (kem.kind() != KemAlgorithm.Kind.ML_KEM && kem.kind() != KemAlgorithm.Kind.X_WING) {
      throw new IllegalArgumentException(kem + " is not ML-KEM or X-Wing");
    }
    this.kem = kem;
    this.provider = provider;
    this.suiteId = new byte[] {'K', 'E', 'M', (byte) (kem.kemId() >> 8), (byte) kem.kemId()};
    this.mlkem = kem == KemAlgorithm.ML_KEM_512 ? MLKEMParameters.ml_kem_512
        : kem == KemAlgorithm.ML_KEM_768 ? MLKEMParameters.ml_kem_768
        : kem == KemAlgorithm.ML_KEM_1024 ? MLKEMParameters.ml_kem_1024 : null;
  }

  /**
   * SHAKE256.LabeledDerive(ikm, label, context, L) (draft-ietf-hpke-hpke §4): SHAKE256 over {@code
   * ikm || "HPKE-v1" || suite_id || len(label) || label || I2OSP(L, 2) || context}.
   */
  static byte[] labeledDeriveShake256(byte[] suiteId, byte[] ikm, byte[] label, byte[] context, int length) {
    SHAKEDigest shake = new SHAKEDigest(256);
    shake.update(ikm, 0, ikm.length);
    shake.update(VERSION, 0, VERSION.length);
    shake.update(suiteId, 0, suiteId.length);
    shake.update((byte) (label.length >> 8));
    shake.update((byte) label.length);
    shake.update(label, 0, label.length);
    shake.update((byte) (length >> 8));
    shake.update((byte) length);
    shake.update(context, 0, context.length);
    byte[] out = new byte[length];
    shake.doFinal(out, 0, length);
    return out;
  }

  /** DeriveKeyPair(ikm): the seed from LabeledDerive, then the KEM's key generation from that seed. */
  @Override
  public KeyPair deriveKeyPair(byte[] ikm) throws CryptoException {
    return fromSeed(labeledDeriveShake256(suiteId, ikm, DERIVE_KEY_PAIR, new byte[0], kem.privateKeyLength()));
  }

  /** GenerateKeyPair(): a random seed. */
  @Override
  public KeyPair generateKeyPair() {
    byte[] seed = new byte[kem.privateKeyLength()];
    provider.randomBytes(seed);
    try {
      return fromSeed(seed);
    } catch (CryptoException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The key pair of a private key (its seed). */
  KeyPair fromSeed(byte[] seed) throws CryptoException {
    return new KeyPair(Secret.wrap(seed), Bytes.wrap(publicKey(seed)));
  }

  byte[] publicKey(byte[] seed) throws CryptoException {
    checkLength("private key", seed, kem.privateKeyLength());
    try {
      return mlkem != null
          ? new MLKEMPrivateKeyParameters(mlkem, seed).getPublicKey()
          : new XWingPrivateKeyParameters(seed).getPublicKeyParameters().getEncoded();
    } catch (RuntimeException e) {
      throw new CryptoException(kem + " private key refused: " + e.getMessage());
    }
  }

  /** Encap(pkR): the shared secret and its encapsulation {@code {shared, enc}}. */
  @Override
  public byte[][] encap(byte[] pkR) throws CryptoException {
    checkLength("public key", pkR, kem.publicKeyLength());
    SecretWithEncapsulation s;
    try {
      if (mlkem != null) {
        byte[] m = new byte[32];
        provider.randomBytes(m);
        s = MLKEMGenerator.internalGenerateEncapsulated(new MLKEMPublicKeyParameters(mlkem, pkR), m);
      } else {
        s = new XWingKEMGenerator(new ProviderRandom(provider)).generateEncapsulated(new XWingPublicKeyParameters(pkR));
      }
    } catch (RuntimeException e) {
      throw new CryptoException(kem + " encapsulation key refused: " + e.getMessage());
    }
    return new byte[][] {s.getSecret(), s.getEncapsulation()};
  }

  /** Decap(enc, skR). */
  @Override
  public byte[] decap(byte[] enc, byte[] skR) throws CryptoException {
    checkLength("ciphertext", enc, kem.encLength());
    checkLength("private key", skR, kem.privateKeyLength());
    try {
      return mlkem != null
          ? new MLKEMExtractor(new MLKEMPrivateKeyParameters(mlkem, skR)).extractSecret(enc)
          : new XWingKEMExtractor(new XWingPrivateKeyParameters(skR)).extractSecret(enc);
    } catch (RuntimeException e) {
      throw new CryptoException(kem + " decapsulation failed: " + e.getMessage());
    }
  }

  /** Why {@code pk} is not a public key of this KEM, or null. */
  @Override
  public String keyProblem(byte[] pk) {
    if (pk.length != kem.publicKeyLength()) {
      return pk.length + " bytes, not " + kem.publicKeyLength();
    }
    try {
      if (mlkem != null) {
        new MLKEMPublicKeyParameters(mlkem, pk); // FIPS 203 §7.2 modulus check
      } else {
        new MLKEMPublicKeyParameters(MLKEMParameters.ml_kem_768, java.util.Arrays.copyOf(pk, 1184));
      }
      return null;
    } catch (RuntimeException e) {
      return "not an encapsulation key of " + kem + " (" + e.getMessage() + ")";
    }
  }

  private void checkLength(String what, byte[] value, int n) throws CryptoException {
    if (value.length != n) {
      throw new CryptoException(kem + " " + what + " of " + value.length + " bytes, expected " + n);
    }
  }

  /** A SecureRandom drawing from the provider, for BouncyCastle generators that take one. */
  private static final class ProviderRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private final transient CryptoProvider provider;

    ProviderRandom(CryptoProvider provider) {
      this.provider = provider;
    }

    @Override
    public void nextBytes(byte[] bytes) {
      provider.randomBytes(bytes);
    }
  }
}
