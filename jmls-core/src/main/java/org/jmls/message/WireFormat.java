package org.jmls.message;

import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** WireFormat, RFC 9420 §6 and §17.7 (uint16). */
public enum WireFormat implements WireEnum {
  MLS_PUBLIC_MESSAGE(1),
  MLS_PRIVATE_MESSAGE(2),
  MLS_WELCOME(3),
  MLS_GROUP_INFO(4),
  MLS_KEY_PACKAGE(5);

  private final int code;

  WireFormat(int code) {
    this.code = code;
  }

  @Override
  public int code() {
    return code;
  }

  public static WireFormat decode(TlsReader r) throws DecodeException {
    return WireEnum.read(r, values(), true);
  }

  public void encode(TlsWriter w) {
    w.u16(code);
  }
}
