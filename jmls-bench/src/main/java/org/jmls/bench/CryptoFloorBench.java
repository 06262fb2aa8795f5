package org.jmls.bench;

import java.util.concurrent.TimeUnit;
import org.jmls.Bytes;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.DefaultCryptoProvider;
import org.jmls.message.HpkeCiphertext;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The crypto floor of suite 1 (X25519, AES-128-GCM, SHA-256, Ed25519) through jmls's own provider:
 * what one application message cannot go below (one signature, one verification, two AEAD
 * operations), and the HPKE and key-derivation costs under every commit. Issue 7 compares the
 * protocol benchmarks against these numbers from the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CryptoFloorBench {
  private MlsCrypto c;
  private KeyPair signer;
  private Bytes signature;
  private KeyPair hpke;
  private HpkeCiphertext sealed;
  private final byte[] message = new byte[100];
  private final byte[] key = new byte[16];
  private final byte[] nonce = new byte[12];
  private byte[] aeadSealed;
  private byte[] ikm;

  private byte[] peer;

  @Setup
  public void setup() throws Exception {
    c = DefaultCryptoProvider.instance().suite(CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519);
    signer = c.generateSignatureKeyPair();
    signature = c.signWithLabel(signer.privateKey(), "bench", message);
    hpke = c.generateHpkeKeyPair();
    sealed = c.encryptWithLabel(hpke.publicKey(), "bench", new byte[0], message);
    aeadSealed = c.aeadSeal(key, nonce, new byte[0], message);
    ikm = c.randomBytes(32);
    peer = c.generateHpkeKeyPair().publicKey().toByteArray();
  }

  @Benchmark
  public Bytes ed25519Sign() throws Exception {
    return c.signWithLabel(signer.privateKey(), "bench", message);
  }

  @Benchmark
  public boolean ed25519Verify() {
    return c.verifyWithLabel(signer.publicKey(), "bench", message, signature);
  }

  @Benchmark
  public KeyPair x25519DeriveKeyPair() throws Exception {
    return c.deriveKeyPair(ikm);
  }

  /** One X25519 Diffie-Hellman: the KEM's core operation (HPKE seal does two: ephemeral key and DH; open does one). */
  @Benchmark
  public byte[] x25519Dh() throws Exception {
    return c.provider().dh(org.jmls.crypto.KemAlgorithm.DHKEM_X25519, hpke.privateKey().unsafeArray(), peer);
  }

  @Benchmark
  public HpkeCiphertext hpkeSeal() throws Exception {
    return c.encryptWithLabel(hpke.publicKey(), "bench", new byte[0], message);
  }

  @Benchmark
  public byte[] hpkeOpen() throws Exception {
    return c.decryptWithLabel(hpke.privateKey(), "bench", new byte[0], sealed);
  }

  @Benchmark
  public byte[] aes128GcmSeal100() {
    return c.aeadSeal(key, nonce, new byte[0], message);
  }

  @Benchmark
  public byte[] aes128GcmOpen100() throws Exception {
    return c.aeadOpen(key, nonce, new byte[0], aeadSealed);
  }
}
