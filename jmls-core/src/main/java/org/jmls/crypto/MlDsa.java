package org.jmls.crypto;

import java.security.SecureRandom;
import org.bouncycastle.crypto.params.MLDSAParameters;
import org.bouncycastle.crypto.params.MLDSAPrivateKeyParameters;
import org.bouncycastle.crypto.params.MLDSAPublicKeyParameters;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.signers.MLDSASigner;

/**
 * ML-DSA (FIPS 204) over BouncyCastle: pure ML-DSA with an empty context string, as
 * draft-ietf-tls-mldsa signs, hedged (fresh randomness per signature). The private key is the
 * 32-byte seed ξ; the public key is the FIPS 204 encoding (1312, 1952 or 2592 bytes).
 */
final class MlDsa {
  private MlDsa() {}

  static MLDSAParameters parameters(SignatureAlgorithm alg) {
    switch (alg) {
      case MLDSA44:
        return MLDSAParameters.ml_dsa_44;
      case MLDSA65:
        return MLDSAParameters.ml_dsa_65;
      case MLDSA87:
        return MLDSAParameters.ml_dsa_87;
      default:
        throw new IllegalArgumentException(alg + " is not ML-DSA");
    }
  }

  /** Public key lengths of FIPS 204 Table 2. */
  static int publicKeyLength(SignatureAlgorithm alg) {
    return alg == SignatureAlgorithm.MLDSA44 ? 1312 : alg == SignatureAlgorithm.MLDSA65 ? 1952 : 2592;
  }

  /** Signature lengths of FIPS 204 Table 2. */
  static int signatureLength(SignatureAlgorithm alg) {
    return alg == SignatureAlgorithm.MLDSA44 ? 2420 : alg == SignatureAlgorithm.MLDSA65 ? 3309 : 4627;
  }

  static MLDSAPrivateKeyParameters privateKey(SignatureAlgorithm alg, byte[] seed) throws CryptoException {
    if (seed.length != 32) {
      throw new CryptoException(alg + " private key (seed) of " + seed.length + " bytes, expected 32");
    }
    return new MLDSAPrivateKeyParameters(parameters(alg), seed);
  }

  static byte[] publicKey(SignatureAlgorithm alg, byte[] seed) throws CryptoException {
    return privateKey(alg, seed).getPublicKey();
  }

  static byte[] sign(SignatureAlgorithm alg, byte[] seed, byte[] message, SecureRandom random) throws CryptoException {
    MLDSASigner signer = new MLDSASigner();
    signer.init(true, new ParametersWithRandom(privateKey(alg, seed), random));
    signer.update(message, 0, message.length);
    try {
      return signer.generateSignature();
    } catch (org.bouncycastle.crypto.CryptoException e) {
      throw new CryptoException(alg + " signing failed: " + e.getMessage());
    }
  }

  static boolean verify(SignatureAlgorithm alg, byte[] pk, byte[] message, byte[] signature) {
    if (pk.length != publicKeyLength(alg) || signature.length != signatureLength(alg)) {
      return false;
    }
    MLDSASigner verifier = new MLDSASigner();
    verifier.init(false, new MLDSAPublicKeyParameters(parameters(alg), pk));
    verifier.update(message, 0, message.length);
    return verifier.verifySignature(signature);
  }

  static String keyProblem(SignatureAlgorithm alg, byte[] pk) {
    return pk.length == publicKeyLength(alg) ? null : pk.length + " bytes, not " + publicKeyLength(alg);
  }
}
