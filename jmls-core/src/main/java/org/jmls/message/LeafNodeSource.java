package org.jmls.message;

import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** LeafNodeSource, RFC 9420 §7.2 (uint8). */
public enum LeafNodeSource implements WireEnum {
  KEY_PACKAGE(1),
  UPDATE(2),
  COMMIT(3);

  private final int code;

  LeafNodeSource(int code) {
    this.code = code;
  }

  @Override
  public int code() {
    return code;
  }

  public static LeafNodeSource decode(TlsReader r) throws DecodeException {
    return WireEnum.read(r, values(), false);
  }

  public void encode(TlsWriter w) {
    w.u8(code);
  }
}
