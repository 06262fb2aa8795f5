package org.jmls.message;

import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** {@code struct { uint32 leaf_index; uint32 generation; opaque reuse_guard[4]; } SenderData} (RFC 9420 §6.3.2). */
public record SenderData(int leafIndex, int generation, Bytes reuseGuard) implements TlsEncodable {
  public SenderData {
    if (reuseGuard.length() != 4) {
      throw new IllegalArgumentException("reuse_guard is 4 bytes");
    }
  }

  public static SenderData decode(TlsReader r) throws DecodeException {
    return new SenderData(r.u32(), r.u32(), Bytes.wrap(r.fixed(4)));
  }

  @Override
  public void encode(TlsWriter w) {
    w.u32(leafIndex).u32(generation).raw(reuseGuard.unsafeArray());
  }
}
