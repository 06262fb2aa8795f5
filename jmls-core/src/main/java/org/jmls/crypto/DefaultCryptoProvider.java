package org.jmls.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.EnumMap;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.bouncycastle.math.ec.rfc7748.X448;
import org.bouncycastle.math.ec.rfc8032.Ed25519;
import org.bouncycastle.math.ec.rfc8032.Ed448;
import org.bouncycastle.util.BigIntegers;

/**
 * The stock provider, choosing per primitive the fastest well-kept implementation measured on the
 * JVM (GUIDE.md): the JDK for SHA-2, HMAC, AES-GCM and ChaCha20-Poly1305 (intrinsics), and
 * BouncyCastle's lightweight API for every elliptic-curve operation (X25519, X448, Ed25519, Ed448,
 * NIST P-256/384/521). ECDSA signing is deterministic (RFC 6979), so no signature depends on the
 * quality of a random source.
 */
public final class DefaultCryptoProvider implements CryptoProvider {
  private static final DefaultCryptoProvider INSTANCE = new DefaultCryptoProvider(new SecureRandom());

  private final SecureRandom random;
  private final Map<HashAlgorithm, ThreadLocal<MessageDigest>> digests = new EnumMap<>(HashAlgorithm.class);
  private final Map<HashAlgorithm, ThreadLocal<Mac>> macs = new EnumMap<>(HashAlgorithm.class);

  /** A provider drawing randomness from {@code random}. */
  public DefaultCryptoProvider(SecureRandom random) {
    this.random = random;
    for (HashAlgorithm h : HashAlgorithm.values()) {
      digests.put(h, ThreadLocal.withInitial(() -> newDigest(h)));
      macs.put(h, ThreadLocal.withInitial(() -> newMac(h)));
    }
  }

  /** A shared instance backed by a default {@link SecureRandom}. */
  public static DefaultCryptoProvider instance() {
    return INSTANCE;
  }

  private static MessageDigest newDigest(HashAlgorithm h) {
    try {
      return MessageDigest.getInstance(h.jcaDigest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks " + h.jcaDigest, e);
    }
  }

  private static Mac newMac(HashAlgorithm h) {
    try {
      return Mac.getInstance(h.jcaMac);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks " + h.jcaMac, e);
    }
  }

  @Override
  public byte[] hash(HashAlgorithm alg, byte[] data) {
    return digests.get(alg).get().digest(data);
  }

  @Override
  public byte[] hmac(HashAlgorithm alg, byte[] key, byte[] data) {
    Mac mac = macs.get(alg).get();
    try {
      // HMAC keys may be empty (HKDF-Extract with an empty salt uses Nh zero bytes, RFC 5869 §2.2).
      mac.init(new SecretKeySpec(key.length == 0 ? new byte[alg.outputLength()] : key, alg.jcaMac));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    return mac.doFinal(data);
  }

  // ---------------------------------------------------------------- AEAD

  private static Cipher aeadCipher(AeadAlgorithm alg, int mode, byte[] key, byte[] nonce)
      throws GeneralSecurityException {
    if (key.length != alg.keyLength() || nonce.length != alg.nonceLength()) {
      throw new GeneralSecurityException("bad AEAD key or nonce length");
    }
    Cipher c;
    if (alg == AeadAlgorithm.CHACHA20POLY1305) {
      c = Cipher.getInstance("ChaCha20-Poly1305");
      c.init(mode, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
    } else {
      c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
    }
    return c;
  }

  @Override
  public byte[] aeadSeal(AeadAlgorithm alg, byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
    try {
      Cipher c = aeadCipher(alg, Cipher.ENCRYPT_MODE, key, nonce);
      c.updateAAD(aad);
      return c.doFinal(plaintext);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("AEAD seal failed: " + e.getMessage(), e);
    }
  }

  @Override
  public byte[] aeadOpen(AeadAlgorithm alg, byte[] key, byte[] nonce, byte[] aad, byte[] ciphertext)
      throws CryptoException {
    if (ciphertext.length < alg.tagLength()) {
      throw new CryptoException("AEAD ciphertext shorter than its tag");
    }
    try {
      Cipher c = aeadCipher(alg, Cipher.DECRYPT_MODE, key, nonce);
      c.updateAAD(aad);
      return c.doFinal(ciphertext);
    } catch (GeneralSecurityException e) {
      throw new CryptoException("AEAD open failed: authentication tag mismatch");
    }
  }

  // ---------------------------------------------------------------- NIST curves

  private static final class Curve {
    final ECDomainParameters domain;
    final int fieldLength;

    Curve(String name) {
      X9ECParameters p = CustomNamedCurves.getByName(name);
      domain = new ECDomainParameters(p.getCurve(), p.getG(), p.getN(), p.getH(), p.getSeed());
      fieldLength = (p.getCurve().getFieldSize() + 7) / 8;
    }

    BigInteger scalar(byte[] sk) throws CryptoException {
      BigInteger d = new BigInteger(1, sk);
      // Some encoders strip leading zero bytes of the scalar (seen in the official vectors for P-521).
      if (sk.length == 0 || sk.length > fieldLength || d.signum() == 0 || d.compareTo(domain.getN()) >= 0) {
        throw new CryptoException("invalid private scalar");
      }
      return d;
    }

    byte[] encodePrivate(BigInteger d) {
      return BigIntegers.asUnsignedByteArray(fieldLength, d);
    }

    ECPoint point(byte[] pk) throws CryptoException {
      if (pk.length != 1 + 2 * fieldLength || pk[0] != 0x04) {
        throw new CryptoException("public key is not an uncompressed point");
      }
      try {
        ECPoint q = domain.getCurve().decodePoint(pk);
        if (q.isInfinity() || !q.isValid()) {
          throw new CryptoException("public key is not a valid curve point");
        }
        return q;
      } catch (IllegalArgumentException e) {
        throw new CryptoException("public key is not a valid curve point");
      }
    }

    byte[] publicKey(BigInteger d) {
      return new FixedPointCombMultiplier().multiply(domain.getG(), d).getEncoded(false);
    }

    KeyPair generate(SecureRandom random) {
      BigInteger d = BigIntegers.createRandomInRange(BigInteger.ONE, domain.getN().subtract(BigInteger.ONE), random);
      return new KeyPair(Secret.wrap(encodePrivate(d)), org.jmls.Bytes.wrap(publicKey(d)));
    }
  }

  private static final Curve P256 = new Curve("P-256");
  private static final Curve P384 = new Curve("P-384");
  private static final Curve P521 = new Curve("P-521");

  private static Curve curve(KemAlgorithm kem) {
    switch (kem) {
      case DHKEM_P256:
        return P256;
      case DHKEM_P384:
        return P384;
      case DHKEM_P521:
        return P521;
      default:
        throw new IllegalArgumentException(kem + " is not a NIST curve");
    }
  }

  private static Curve curve(SignatureAlgorithm alg) {
    switch (alg) {
      case ECDSA_SECP256R1_SHA256:
        return P256;
      case ECDSA_SECP384R1_SHA384:
        return P384;
      case ECDSA_SECP521R1_SHA512:
        return P521;
      default:
        throw new IllegalArgumentException(alg + " is not ECDSA");
    }
  }

  // ---------------------------------------------------------------- DH

  @Override
  public KeyPair dhGenerateKeyPair(KemAlgorithm kem) {
    if (kem.isNist()) {
      return curve(kem).generate(random);
    }
    byte[] sk = new byte[kem.privateKeyLength()];
    random.nextBytes(sk);
    try {
      return new KeyPair(Secret.wrap(sk), org.jmls.Bytes.wrap(dhPublicKey(kem, sk)));
    } catch (CryptoException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public byte[] dhPublicKey(KemAlgorithm kem, byte[] sk) throws CryptoException {
    switch (kem) {
      case DHKEM_X25519: {
        checkLength(sk, X25519.SCALAR_SIZE);
        byte[] pk = new byte[X25519.POINT_SIZE];
        X25519.scalarMultBase(sk, 0, pk, 0);
        return pk;
      }
      case DHKEM_X448: {
        checkLength(sk, X448.SCALAR_SIZE);
        byte[] pk = new byte[X448.POINT_SIZE];
        X448.scalarMultBase(sk, 0, pk, 0);
        return pk;
      }
      default:
        Curve c = curve(kem);
        return c.publicKey(c.scalar(sk));
    }
  }

  private static void checkLength(byte[] key, int n) throws CryptoException {
    if (key.length != n) {
      throw new CryptoException("key of " + key.length + " bytes, expected " + n);
    }
  }

  @Override
  public byte[] dh(KemAlgorithm kem, byte[] sk, byte[] pk) throws CryptoException {
    switch (kem) {
      case DHKEM_X25519: {
        checkLength(sk, X25519.SCALAR_SIZE);
        checkLength(pk, X25519.POINT_SIZE);
        byte[] out = new byte[X25519.POINT_SIZE];
        if (!X25519.calculateAgreement(sk, 0, pk, 0, out, 0)) {
          throw new CryptoException("X25519 shared secret is all zero");
        }
        return out;
      }
      case DHKEM_X448: {
        checkLength(sk, X448.SCALAR_SIZE);
        checkLength(pk, X448.POINT_SIZE);
        byte[] out = new byte[X448.POINT_SIZE];
        if (!X448.calculateAgreement(sk, 0, pk, 0, out, 0)) {
          throw new CryptoException("X448 shared secret is all zero");
        }
        return out;
      }
      default: {
        Curve c = curve(kem);
        ECPoint z = c.point(pk).multiply(c.scalar(sk)).normalize();
        if (z.isInfinity()) {
          throw new CryptoException("ECDH result is the point at infinity");
        }
        return z.getAffineXCoord().getEncoded();
      }
    }
  }

  // ---------------------------------------------------------------- signatures

  @Override
  public KeyPair signatureGenerateKeyPair(SignatureAlgorithm alg) {
    switch (alg) {
      case ED25519:
      case ED448:
      case MLDSA44:
      case MLDSA65:
      case MLDSA87: {
        byte[] sk = new byte[alg.privateKeyLength()];
        random.nextBytes(sk);
        try {
          return new KeyPair(Secret.wrap(sk), org.jmls.Bytes.wrap(signaturePublicKey(alg, sk)));
        } catch (CryptoException e) {
          throw new IllegalStateException(e);
        }
      }
      default:
        return curve(alg).generate(random);
    }
  }

  @Override
  public byte[] signaturePublicKey(SignatureAlgorithm alg, byte[] sk) throws CryptoException {
    switch (alg) {
      case ED25519: {
        checkLength(sk, Ed25519.SECRET_KEY_SIZE);
        byte[] pk = new byte[Ed25519.PUBLIC_KEY_SIZE];
        Ed25519.generatePublicKey(sk, 0, pk, 0);
        return pk;
      }
      case ED448: {
        checkLength(sk, Ed448.SECRET_KEY_SIZE);
        byte[] pk = new byte[Ed448.PUBLIC_KEY_SIZE];
        Ed448.generatePublicKey(sk, 0, pk, 0);
        return pk;
      }
      case MLDSA44:
      case MLDSA65:
      case MLDSA87:
        return MlDsa.publicKey(alg, sk);
      default:
        Curve c = curve(alg);
        return c.publicKey(c.scalar(sk));
    }
  }

  private static org.bouncycastle.crypto.Digest ecdsaDigest(SignatureAlgorithm alg) {
    switch (alg) {
      case ECDSA_SECP256R1_SHA256:
        return new SHA256Digest();
      case ECDSA_SECP384R1_SHA384:
        return new SHA384Digest();
      default:
        return new SHA512Digest();
    }
  }

  private byte[] ecdsaHash(SignatureAlgorithm alg, byte[] message) {
    HashAlgorithm h =
        alg == SignatureAlgorithm.ECDSA_SECP256R1_SHA256
            ? HashAlgorithm.SHA256
            : alg == SignatureAlgorithm.ECDSA_SECP384R1_SHA384 ? HashAlgorithm.SHA384 : HashAlgorithm.SHA512;
    return hash(h, message);
  }

  private static final byte[] NO_CONTEXT = new byte[0];
  private final SigningKeys signingKeys = new SigningKeys();

  @Override
  public byte[] sign(SignatureAlgorithm alg, byte[] sk, byte[] message) throws CryptoException {
    switch (alg) {
      case ED25519: {
        checkLength(sk, Ed25519.SECRET_KEY_SIZE);
        byte[] pk = signingKeys.publicKey(sk, k -> {
          byte[] out = new byte[Ed25519.PUBLIC_KEY_SIZE];
          Ed25519.generatePublicKey(k, 0, out, 0);
          return out;
        });
        byte[] sig = new byte[Ed25519.SIGNATURE_SIZE];
        Ed25519.sign(sk, 0, pk, 0, message, 0, message.length, sig, 0);
        return sig;
      }
      case ED448: {
        checkLength(sk, Ed448.SECRET_KEY_SIZE);
        byte[] pk = signingKeys.publicKey(sk, k -> {
          byte[] out = new byte[Ed448.PUBLIC_KEY_SIZE];
          Ed448.generatePublicKey(k, 0, out, 0);
          return out;
        });
        byte[] sig = new byte[Ed448.SIGNATURE_SIZE];
        Ed448.sign(sk, 0, pk, 0, NO_CONTEXT, message, 0, message.length, sig, 0);
        return sig;
      }
      case MLDSA44:
      case MLDSA65:
      case MLDSA87:
        return MlDsa.sign(alg, sk, message, random);
      default: {
        Curve c = curve(alg);
        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(ecdsaDigest(alg)));
        signer.init(true, new ECPrivateKeyParameters(c.scalar(sk), c.domain));
        BigInteger[] rs = signer.generateSignature(ecdsaHash(alg, message));
        try {
          return StandardDSAEncoding.INSTANCE.encode(c.domain.getN(), rs[0], rs[1]);
        } catch (java.io.IOException e) {
          throw new IllegalStateException(e);
        }
      }
    }
  }

  // Decoded signature keys (public values), so a sender's key is decoded once, not per message.
  private final DecodedKeys<Ed25519.PublicPoint> ed25519Keys = new DecodedKeys<>(pk -> Ed25519.validatePublicKeyPartialExport(pk, 0));
  private final DecodedKeys<Ed448.PublicPoint> ed448Keys = new DecodedKeys<>(pk -> Ed448.validatePublicKeyPartialExport(pk, 0));
  private final java.util.Map<SignatureAlgorithm, DecodedKeys<ECPublicKeyParameters>> ecdsaKeys = ecdsaKeyCaches();

  private java.util.Map<SignatureAlgorithm, DecodedKeys<ECPublicKeyParameters>> ecdsaKeyCaches() {
    java.util.Map<SignatureAlgorithm, DecodedKeys<ECPublicKeyParameters>> m = new java.util.EnumMap<>(SignatureAlgorithm.class);
    for (SignatureAlgorithm alg : SignatureAlgorithm.values()) {
      if (alg != SignatureAlgorithm.ED25519 && alg != SignatureAlgorithm.ED448 && !alg.isPostQuantum()) {
        m.put(alg, new DecodedKeys<>(pk -> {
          try {
            Curve c = curve(alg);
            return new ECPublicKeyParameters(c.point(pk), c.domain);
          } catch (CryptoException e) {
            return null; // remembered as not a key
          }
        }));
      }
    }
    return m;
  }

  @Override
  public boolean verify(SignatureAlgorithm alg, byte[] pk, byte[] message, byte[] signature) {
    try {
      switch (alg) {
        case ED25519: {
          if (pk.length != Ed25519.PUBLIC_KEY_SIZE || signature.length != Ed25519.SIGNATURE_SIZE) {
            return false;
          }
          Ed25519.PublicPoint point = ed25519Keys.get(pk);
          return point != null && Ed25519.verify(signature, 0, point, message, 0, message.length);
        }
        case ED448: {
          if (pk.length != Ed448.PUBLIC_KEY_SIZE || signature.length != Ed448.SIGNATURE_SIZE) {
            return false;
          }
          Ed448.PublicPoint point = ed448Keys.get(pk);
          return point != null && Ed448.verify(signature, 0, point, NO_CONTEXT, message, 0, message.length);
        }
        case MLDSA44:
        case MLDSA65:
        case MLDSA87:
          return MlDsa.verify(alg, pk, message, signature);
        default: {
          Curve c = curve(alg);
          ECPublicKeyParameters key = ecdsaKeys.get(alg).get(pk);
          if (key == null) {
            return false;
          }
          BigInteger[] rs = StandardDSAEncoding.INSTANCE.decode(c.domain.getN(), signature);
          ECDSASigner verifier = new ECDSASigner();
          verifier.init(false, key);
          return verifier.verifySignature(ecdsaHash(alg, message), rs[0], rs[1]);
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      return false;
    }
  }

  @Override
  public String signatureKeyProblem(SignatureAlgorithm alg, byte[] pk) {
    switch (alg) {
      case ED25519:
        return pk.length != Ed25519.PUBLIC_KEY_SIZE ? pk.length + " bytes, not " + Ed25519.PUBLIC_KEY_SIZE
            : Ed25519.validatePublicKeyFull(pk, 0) ? null : "not a point of Ed25519's prime-order group";
      case ED448:
        return pk.length != Ed448.PUBLIC_KEY_SIZE ? pk.length + " bytes, not " + Ed448.PUBLIC_KEY_SIZE
            : Ed448.validatePublicKeyFull(pk, 0) ? null : "not a point of Ed448's prime-order group";
      case MLDSA44:
      case MLDSA65:
      case MLDSA87:
        return MlDsa.keyProblem(alg, pk);
      default:
        return pointProblem(curve(alg), pk);
    }
  }

  @Override
  public String hpkeKeyProblem(KemAlgorithm kem, byte[] pk) {
    switch (kem) {
      case DHKEM_X25519:
        return pk.length == X25519.POINT_SIZE ? null : pk.length + " bytes, not " + X25519.POINT_SIZE;
      case DHKEM_X448:
        return pk.length == X448.POINT_SIZE ? null : pk.length + " bytes, not " + X448.POINT_SIZE;
      default:
        if (kem.isPostQuantum()) {
          return pk.length == kem.publicKeyLength() ? null : pk.length + " bytes, not " + kem.publicKeyLength();
        }
        return pointProblem(curve(kem), pk);
    }
  }

  private static String pointProblem(Curve c, byte[] pk) {
    int uncompressed = 1 + 2 * c.fieldLength;
    if (pk.length == 1 + c.fieldLength && (pk[0] == 0x02 || pk[0] == 0x03)) {
      return "a compressed point; MLS keys are uncompressed points (0x04 || X || Y, " + uncompressed + " bytes)";
    }
    if (pk.length != uncompressed || pk[0] != 0x04) {
      return pk.length + " bytes" + (pk.length > 0 ? " starting " + String.format("0x%02x", pk[0]) : "")
          + ", not an uncompressed point (0x04 || X || Y, " + uncompressed + " bytes)";
    }
    try {
      c.point(pk);
      return null;
    } catch (CryptoException e) {
      return "not a point on the curve";
    }
  }

  @Override
  public void randomBytes(byte[] out) {
    random.nextBytes(out);
  }
}
