package org.jmls.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.jmls.Bytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The code-point alias table: off by default (only the RFC's and the PQ draft's values), other
 * stacks' values recognised when enabled, and the aliased suites computing with those stacks'
 * algorithms, checked against draft-ietf-hpke-pq-05's vectors for the same algorithms.
 */
class SuiteAliasesTest {
  @AfterEach
  void reset() {
    SuiteAliases.enable(Set.of());
  }

  @Test
  void byDefault_onlyTheRfcAndTheDraft() {
    assertNull(CipherSuite.of(0x004D), "OpenMLS's X-Wing value is not recognised unless enabled");
    assertSame(CipherSuite.MLS_128_MLKEM768_AES256GCM_SHA384_P256, CipherSuite.of(0xF007), "0xF007 is the draft's TBD7");
    assertEquals(18, CipherSuite.all().size());
    assertTrue(CipherSuite.all().stream().allMatch(s -> s.alias() == null));
  }

  @Test
  void openmls_addsItsXWingSuite() {
    SuiteAliases.enable(EnumSet.of(SuiteAliases.Alias.OPENMLS));
    CipherSuite s = CipherSuite.of(0x004D);
    assertSame(CipherSuite.OPENMLS_MLS_256_XWING_CHACHA20POLY1305_SHA256_Ed25519, s);
    assertEquals(19, CipherSuite.all().size());
    assertSame(CipherSuite.MLS_128_MLKEM768_AES256GCM_SHA384_P256, CipherSuite.of(0xF007), "no collision with OpenMLS");
  }

  @Test
  void tsMls_takesOverItsValuesFromTheDraft() {
    SuiteAliases.enable(EnumSet.of(SuiteAliases.Alias.TS_MLS));
    assertSame(CipherSuite.TSMLS_MLS_128_MLKEM512_AES128GCM_SHA256_Ed25519, CipherSuite.of(0xF007));
    assertSame(CipherSuite.TSMLS_MLS_256_XWING_CHACHA20POLY1305_SHA512_MLDSA87, CipherSuite.of(0xF012));
    assertSame(CipherSuite.MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519, CipherSuite.of(0xF001), "TBD1-6 stay");
    assertFalse(CipherSuite.all().contains(CipherSuite.MLS_128_MLKEM768_AES256GCM_SHA384_P256));
    assertEquals(6 + 7 + 12, CipherSuite.all().size());
    assertEquals(HashAlgorithm.SHA512, CipherSuite.of(0xF009).kdf(), "ts-mls derives with HKDF-SHA512");
    assertEquals(HashAlgorithm.SHA384, CipherSuite.of(0xF009).hash());
  }

  /**
   * OpenMLS's 0x004D runs HPKE with X-Wing, HKDF-SHA256 and ChaCha20-Poly1305: the configuration of
   * draft-ietf-hpke-pq-05 A.5. The suite's own HPKE derives the vector's key pair (TreeKEM's
   * DeriveKeyPair) and opens its ciphertext and export.
   */
  @Test
  void openmls_suiteHpke_matchesTheDraftVectorForItsAlgorithms() throws Exception {
    SuiteAliases.enable(EnumSet.of(SuiteAliases.Alias.OPENMLS));
    Map<String, byte[]> v = HpkePqVectorsTest.load("a5-mlkem768-x25519.txt");
    MlsCrypto c = DefaultCryptoProvider.instance().suite(CipherSuite.of(0x004D));
    KeyPair kp = c.deriveKeyPair(v.get("ikmR"));
    assertEquals(Bytes.wrap(v.get("pkRm")), kp.publicKey());
    assertArrayEquals(v.get("pt"), c.hpke().open(v.get("enc"), v.get("skRm"), v.get("info"), v.get("aad"), v.get("ct")));
    assertArrayEquals(v.get("exported_value"),
        c.hpke().receiveExport(v.get("enc"), v.get("skRm"), v.get("info"), v.get("exporter_context"), 32));
  }

  /**
   * ts-mls's ML-KEM-1024 and X-Wing suites use the KEMs of A.3 and A.5 with another KDF: the KEM
   * half (DeriveKeyPair, Decap) is the vectors', whatever the KDF.
   */
  @Test
  void tsMls_suiteKems_matchTheDraftVectors() throws Exception {
    SuiteAliases.enable(EnumSet.of(SuiteAliases.Alias.TS_MLS));
    for (String[] pair : new String[][] {{"a3-mlkem1024.txt", "61451"}, {"a5-mlkem768-x25519.txt", "61453"}}) {
      Map<String, byte[]> v = HpkePqVectorsTest.load(pair[0]);
      CipherSuite s = CipherSuite.of(Integer.parseInt(pair[1]));
      MlsCrypto c = DefaultCryptoProvider.instance().suite(s);
      assertEquals(Bytes.wrap(v.get("pkRm")), c.deriveKeyPair(v.get("ikmR")).publicKey(), s.name());
      assertArrayEquals(v.get("shared_secret"), new PqKem(s.kem(), DefaultCryptoProvider.instance()).decap(v.get("enc"), v.get("skRm")));
    }
  }
}
