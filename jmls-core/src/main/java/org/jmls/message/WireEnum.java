package org.jmls.message;

import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;

/** A closed enumeration of RFC 9420 whose unknown values are a decode error. */
public interface WireEnum {
  /** The value on the wire. */
  int code();

  /** Reads a uint8 or uint16 code and maps it to one of {@code values}. */
  static <E extends WireEnum> E read(TlsReader r, E[] values, boolean wide) throws DecodeException {
    int at = r.offset();
    int code = wide ? r.u16() : r.u8();
    for (E v : values) {
      if (v.code() == code) {
        return v;
      }
    }
    throw new DecodeException(
        at, "unknown " + values.getClass().getComponentType().getSimpleName() + " " + code);
  }
}
