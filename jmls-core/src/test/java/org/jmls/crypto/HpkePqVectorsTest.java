package org.jmls.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jmls.Bytes;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HPKE with the post-quantum KEMs against the published vectors of draft-ietf-hpke-pq-05 Appendix A
 * (src/test/resources/hpke-pq): DeriveKeyPair from ikmR gives the draft's key pair, Decap of the
 * draft's enc gives its shared secret, and our key schedule opens its first ciphertext and
 * reproduces its first export. X-Wing and ML-KEM run through {@link PqKem} and our key schedule;
 * the P-256 hybrid through BouncyCastle's HPKE.
 */
class HpkePqVectorsTest {
  private static final CryptoProvider P = DefaultCryptoProvider.instance();
  private static final HexFormat HEX = HexFormat.of();

  static Map<String, byte[]> load(String name) throws IOException {
    Map<String, StringBuilder> raw = new HashMap<>();
    Pattern field = Pattern.compile("\\s*(\\w+): (\\S+)\\s*");
    String key = null;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(
        HpkePqVectorsTest.class.getResourceAsStream("/hpke-pq/" + name), StandardCharsets.US_ASCII))) {
      for (String line; (line = r.readLine()) != null; ) {
        Matcher m = field.matcher(line);
        if (m.matches()) {
          key = m.group(1);
          raw.put(key, new StringBuilder(m.group(2)));
        } else if (!line.isBlank()) {
          raw.get(key).append(line.trim());
        }
      }
    }
    Map<String, byte[]> out = new HashMap<>();
    // Identifiers are decimal in the draft; kept as big-endian bytes so the map holds one type.
    raw.forEach((k, v) -> out.put(k, k.endsWith("_id")
        ? java.math.BigInteger.valueOf(Integer.parseInt(v.toString())).toByteArray() : HEX.parseHex(v.toString())));
    return out;
  }

  private static int id(Map<String, byte[]> v, String k) {
    return new java.math.BigInteger(1, v.get(k)).intValue();
  }

  private static KemAlgorithm kem(int id) {
    for (KemAlgorithm k : KemAlgorithm.values()) {
      if (k.kemId() == id) {
        return k;
      }
    }
    throw new IllegalArgumentException("kem " + id);
  }

  private static HashAlgorithm kdf(int id) {
    for (HashAlgorithm h : HashAlgorithm.values()) {
      if (h.kdfId() == id) {
        return h;
      }
    }
    throw new IllegalArgumentException("kdf " + id);
  }

  private static AeadAlgorithm aead(int id) {
    for (AeadAlgorithm a : AeadAlgorithm.values()) {
      if (a.aeadId() == id) {
        return a;
      }
    }
    throw new IllegalArgumentException("aead " + id);
  }

  @ParameterizedTest
  @ValueSource(strings = {"a3-mlkem1024.txt", "a4-mlkem768-p256.txt", "a5-mlkem768-x25519.txt"})
  void draftVectors(String name) throws Exception {
    Map<String, byte[]> v = load(name);
    KemAlgorithm kem = kem(id(v, "kem_id"));
    Hpke hpke = new Hpke(P, kem, kdf(id(v, "kdf_id")), aead(id(v, "aead_id")));

    KeyPair derived = hpke.deriveKeyPair(v.get("ikmR"));
    assertEquals(Bytes.wrap(v.get("pkRm")), derived.publicKey(), "DeriveKeyPair(ikmR) public key");
    assertEquals(Bytes.wrap(v.get("skRm")), Bytes.wrap(derived.privateKey().toByteArray()), "DeriveKeyPair(ikmR) private key");

    if (kem.kind() != KemAlgorithm.Kind.EC_HYBRID) {
      assertArrayEquals(v.get("shared_secret"), new PqKem(kem, P).decap(v.get("enc"), v.get("skRm")), "Decap(enc, skR)");
    }
    byte[] pt = hpke.open(v.get("enc"), v.get("skRm"), v.get("info"), v.get("aad"), v.get("ct"));
    assertArrayEquals(v.get("pt"), pt, "first encryption opens to the draft's plaintext");
    assertArrayEquals(v.get("exported_value"),
        hpke.receiveExport(v.get("enc"), v.get("skRm"), v.get("info"), v.get("exporter_context"), 32), "first export");

    // A flipped bit in the ciphertext is refused.
    byte[] bad = v.get("ct").clone();
    bad[3] ^= 1;
    assertThrows(CryptoException.class, () -> hpke.open(v.get("enc"), v.get("skRm"), v.get("info"), v.get("aad"), bad));
  }
}
