package org.jmls.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.bouncycastle.crypto.digests.SHAKEDigest;
import org.bouncycastle.crypto.signers.MLDSASigner;
import org.junit.jupiter.api.Test;

/**
 * ML-DSA-87 known answers: the "accumulated" test of Go's crypto/internal/fips140test (go1.26.2),
 * 100 rounds. Seeds are drawn from one SHAKE128 stream; each round's public key (from the seed, as
 * jmls stores ML-DSA private keys) and its deterministic signature of the empty message (pure
 * ML-DSA, empty context, rnd = 0) are absorbed into a second SHAKE128 stream, whose first 32 bytes
 * are the answer. Every signature must also verify through jmls's provider.
 */
class MlDsaKnownAnswerTest {
  @Test
  void mlDsa87_accumulated100_matchesGo() throws Exception {
    SHAKEDigest seeds = new SHAKEDigest(128);
    SHAKEDigest out = new SHAKEDigest(128);
    CryptoProvider p = DefaultCryptoProvider.instance();
    byte[] empty = new byte[0];
    for (int i = 0; i < 100; i++) {
      byte[] seed = new byte[32];
      seeds.doOutput(seed, 0, 32);
      byte[] pk = p.signaturePublicKey(SignatureAlgorithm.MLDSA87, seed);
      out.update(pk, 0, pk.length);
      MLDSASigner signer = new MLDSASigner();
      signer.init(true, MlDsa.privateKey(SignatureAlgorithm.MLDSA87, seed)); // no randomness: deterministic
      byte[] sig = signer.generateSignature();
      out.update(sig, 0, sig.length);
      assertTrue(p.verify(SignatureAlgorithm.MLDSA87, pk, empty, sig), "round " + i);
    }
    byte[] digest = new byte[32];
    out.doOutput(digest, 0, 32);
    assertEquals("8c3ad714777622b8f21ce31bb35f71394f23bc0fcf3c78ace5d608990f3b061b", HexFormat.of().formatHex(digest));
  }
}
