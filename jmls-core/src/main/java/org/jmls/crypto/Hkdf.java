package org.jmls.crypto;

/** HKDF (RFC 5869) over a provider's HMAC. */
final class Hkdf {
  private Hkdf() {}

  static byte[] extract(CryptoProvider p, HashAlgorithm h, byte[] salt, byte[] ikm) {
    return p.hmac(h, salt, ikm);
  }

  static byte[] expand(CryptoProvider p, HashAlgorithm h, byte[] prk, byte[] info, int length) {
    int nh = h.outputLength();
    if (length < 0 || length > 255 * nh) {
      throw new IllegalArgumentException("HKDF-Expand length " + length + " out of range");
    }
    byte[] out = new byte[length];
    byte[] t = new byte[0];
    byte[] input = new byte[nh + info.length + 1];
    int done = 0;
    for (int i = 1; done < length; i++) {
      System.arraycopy(t, 0, input, 0, t.length);
      System.arraycopy(info, 0, input, t.length, info.length);
      input[t.length + info.length] = (byte) i;
      byte[] block = p.hmac(h, prk, java.util.Arrays.copyOf(input, t.length + info.length + 1));
      int n = Math.min(nh, length - done);
      System.arraycopy(block, 0, out, done, n);
      done += n;
      t = block;
    }
    return out;
  }
}
