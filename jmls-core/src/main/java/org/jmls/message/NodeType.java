package org.jmls.message;

import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** NodeType, RFC 9420 §7.8 (uint8). */
public enum NodeType implements WireEnum {
  LEAF(1),
  PARENT(2);

  private final int code;

  NodeType(int code) {
    this.code = code;
  }

  @Override
  public int code() {
    return code;
  }

  public static NodeType decode(TlsReader r) throws DecodeException {
    return WireEnum.read(r, values(), false);
  }

  public void encode(TlsWriter w) {
    w.u8(code);
  }
}
