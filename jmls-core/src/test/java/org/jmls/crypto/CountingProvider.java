package org.jmls.crypto;

import java.util.concurrent.atomic.AtomicLong;

/** A provider that counts the operations it passes on (tests measure work by counting it, not by timing). */
public final class CountingProvider implements CryptoProvider {
  private final CryptoProvider inner;
  public final AtomicLong hashes = new AtomicLong();
  public final AtomicLong macs = new AtomicLong();
  public final AtomicLong aeadOpens = new AtomicLong();
  public final AtomicLong dhs = new AtomicLong();
  public final AtomicLong verifications = new AtomicLong();

  public CountingProvider(CryptoProvider inner) {
    this.inner = inner;
  }

  public void reset() {
    for (AtomicLong a : new AtomicLong[] {hashes, macs, aeadOpens, dhs, verifications}) {
      a.set(0);
    }
  }

  /** hashes, macs, AEAD opens, DH operations, signature verifications. */
  public long[] snapshot() {
    return new long[] {hashes.get(), macs.get(), aeadOpens.get(), dhs.get(), verifications.get()};
  }

  @Override
  public byte[] hash(HashAlgorithm alg, byte[] data) {
    hashes.incrementAndGet();
    return inner.hash(alg, data);
  }

  @Override
  public byte[] hmac(HashAlgorithm alg, byte[] key, byte[] data) {
    macs.incrementAndGet();
    return inner.hmac(alg, key, data);
  }

  @Override
  public byte[] aeadSeal(AeadAlgorithm alg, byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
    return inner.aeadSeal(alg, key, nonce, aad, plaintext);
  }

  @Override
  public byte[] aeadOpen(AeadAlgorithm alg, byte[] key, byte[] nonce, byte[] aad, byte[] ciphertext) throws CryptoException {
    aeadOpens.incrementAndGet();
    return inner.aeadOpen(alg, key, nonce, aad, ciphertext);
  }

  @Override
  public KeyPair dhGenerateKeyPair(KemAlgorithm kem) {
    return inner.dhGenerateKeyPair(kem);
  }

  @Override
  public byte[] dhPublicKey(KemAlgorithm kem, byte[] privateKey) throws CryptoException {
    dhs.incrementAndGet();
    return inner.dhPublicKey(kem, privateKey);
  }

  @Override
  public byte[] dh(KemAlgorithm kem, byte[] privateKey, byte[] publicKey) throws CryptoException {
    dhs.incrementAndGet();
    return inner.dh(kem, privateKey, publicKey);
  }

  @Override
  public KeyPair signatureGenerateKeyPair(SignatureAlgorithm alg) {
    return inner.signatureGenerateKeyPair(alg);
  }

  @Override
  public byte[] signaturePublicKey(SignatureAlgorithm alg, byte[] privateKey) throws CryptoException {
    return inner.signaturePublicKey(alg, privateKey);
  }

  @Override
  public byte[] sign(SignatureAlgorithm alg, byte[] privateKey, byte[] message) throws CryptoException {
    return inner.sign(alg, privateKey, message);
  }

  @Override
  public boolean verify(SignatureAlgorithm alg, byte[] publicKey, byte[] message, byte[] signature) {
    verifications.incrementAndGet();
    return inner.verify(alg, publicKey, message, signature);
  }

  @Override
  public void randomBytes(byte[] out) {
    inner.randomBytes(out);
  }

  @Override
  public String signatureKeyProblem(SignatureAlgorithm alg, byte[] publicKey) {
    return inner.signatureKeyProblem(alg, publicKey);
  }

  @Override
  public String hpkeKeyProblem(KemAlgorithm kem, byte[] publicKey) {
    return inner.hpkeKeyProblem(kem, publicKey);
  }
}
