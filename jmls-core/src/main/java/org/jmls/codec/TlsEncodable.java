package org.jmls.codec;

import org.jmls.Bytes;

/** A value with a TLS presentation-language encoding (RFC 9420 §2.1). */
public interface TlsEncodable {
  void encode(TlsWriter writer);

  /** The encoding as a fresh array. */
  default byte[] toByteArray() {
    TlsWriter w = new TlsWriter();
    encode(w);
    return w.toByteArray();
  }

  /** The encoding as immutable bytes. */
  default Bytes toBytes() {
    return Bytes.wrap(toByteArray());
  }
}
