package org.jmls.message;

import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** SenderType, RFC 9420 §6 (uint8). */
public enum SenderType implements WireEnum {
  MEMBER(1),
  EXTERNAL(2),
  NEW_MEMBER_PROPOSAL(3),
  NEW_MEMBER_COMMIT(4);

  private final int code;

  SenderType(int code) {
    this.code = code;
  }

  @Override
  public int code() {
    return code;
  }

  public static SenderType decode(TlsReader r) throws DecodeException {
    return WireEnum.read(r, values(), false);
  }

  public void encode(TlsWriter w) {
    w.u8(code);
  }
}
