package org.jmls.message;

import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** ContentType, RFC 9420 §6 (uint8). */
public enum ContentType implements WireEnum {
  APPLICATION(1),
  PROPOSAL(2),
  COMMIT(3);

  private final int code;

  ContentType(int code) {
    this.code = code;
  }

  @Override
  public int code() {
    return code;
  }

  public static ContentType decode(TlsReader r) throws DecodeException {
    return WireEnum.read(r, values(), false);
  }

  public void encode(TlsWriter w) {
    w.u8(code);
  }
}
