package org.jmls.message;

import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** {@code struct { opaque kem_output<V>; opaque ciphertext<V>; } HPKECiphertext} (RFC 9420 §7.6). */
public record HpkeCiphertext(Bytes kemOutput, Bytes ciphertext) implements TlsEncodable {
  public static HpkeCiphertext decode(TlsReader r) throws DecodeException {
    return new HpkeCiphertext(r.opaque(), r.opaque());
  }

  @Override
  public void encode(TlsWriter w) {
    w.opaque(kemOutput).opaque(ciphertext);
  }
}
