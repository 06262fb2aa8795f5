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
  /** The cipher suite's registry value (1, or 0xF001-0xF00B for the post-quantum draft's). */
  @org.openjdk.jmh.annotations.Param({"1"})
  public String suite;

  private MlsCrypto c;
  private KeyPair signer;
  private Bytes signature;
  private KeyPair hpke;
  private HpkeCiphertext sealed;
  private final byte[] message = new byte[100];
  private byte[] key;
  private final byte[] nonce = new byte[12];
  private byte[] aeadSealed;
  private byte[] ikm;

  private byte[] peer;
  private final byte[] large = new byte[16384];
  private Bytes largeSignature;

  @Setup
  public void setup() throws Exception {
    c = DefaultCryptoProvider.instance().suite(BenchGroups.suite(suite));
    key = new byte[c.cipherSuite().aead().keyLength()];
    signer = c.generateSignatureKeyPair();
    signature = c.signWithLabel(signer.privateKey(), "bench", message);
    largeSignature = c.signWithLabel(signer.privateKey(), "bench", large);
    hpke = c.generateHpkeKeyPair();
    sealed = c.encryptWithLabel(hpke.publicKey(), "bench", new byte[0], message);
    aeadSealed = c.aeadSeal(key, nonce, new byte[0], message);
    ikm = c.randomBytes(32);
    peer = c.cipherSuite().kem().isPostQuantum() ? null : c.generateHpkeKeyPair().publicKey().toByteArray();
  }

  @Benchmark
  public Bytes sign() throws Exception {
    return c.signWithLabel(signer.privateKey(), "bench", message);
  }

  @Benchmark
  public boolean verify() {
    return c.verifyWithLabel(signer.publicKey(), "bench", message, signature);
  }

  /**
   * Verification of a 16 KiB message: what checking a commit's signature costs per byte (the
   * signature covers the whole commit, whose UpdatePath is tens of KB in the post-quantum suites).
   */
  @Benchmark
  public boolean verify16k() {
    return c.verifyWithLabel(signer.publicKey(), "bench", large, largeSignature);
  }

  /** The suite's hash over 16 KiB: the transcript hash's cost per byte of a commit. */
  @Benchmark
  public byte[] hash16k() {
    return c.hash(large);
  }

  @Benchmark
  public KeyPair deriveKeyPair() throws Exception {
    return c.deriveKeyPair(ikm);
  }

  /** One Diffie-Hellman of a DHKEM suite: the KEM's core operation (HPKE seal does two: ephemeral key and DH; open does one). Not run for the post-quantum KEMs. */
  @Benchmark
  public byte[] dh() throws Exception {
    return peer == null ? null : c.provider().dh(c.cipherSuite().kem(), hpke.privateKey().unsafeArray(), peer);
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
  public byte[] aeadSeal100() {
    return c.aeadSeal(key, nonce, new byte[0], message);
  }

  @Benchmark
  public byte[] aeadOpen100() throws Exception {
    return c.aeadOpen(key, nonce, new byte[0], aeadSealed);
  }
}
