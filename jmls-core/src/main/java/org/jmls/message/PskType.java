package org.jmls.message;

import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** PSKType, RFC 9420 §8.4 (uint8). */
public enum PskType implements WireEnum {
  EXTERNAL(1),
  RESUMPTION(2);

  private final int code;

  PskType(int code) {
    this.code = code;
  }

  @Override
  public int code() {
    return code;
  }

  public static PskType decode(TlsReader r) throws DecodeException {
    return WireEnum.read(r, values(), false);
  }

  public void encode(TlsWriter w) {
    w.u8(code);
  }
}
