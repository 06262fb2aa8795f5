package org.jmls.message;

import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** {@code struct { uint64 not_before; uint64 not_after; } Lifetime} (RFC 9420 §7.2), in seconds since the epoch. */
public record Lifetime(long notBefore, long notAfter) implements TlsEncodable {
  public static Lifetime decode(TlsReader r) throws DecodeException {
    return new Lifetime(r.u64(), r.u64());
  }

  @Override
  public void encode(TlsWriter w) {
    w.u64(notBefore).u64(notAfter);
  }

  /** Whether {@code epochSeconds} lies within [not_before, not_after], comparing unsigned. */
  public boolean contains(long epochSeconds) {
    return Long.compareUnsigned(notBefore, epochSeconds) <= 0
        && Long.compareUnsigned(epochSeconds, notAfter) <= 0;
  }
}
