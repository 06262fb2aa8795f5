package org.jmls.message;

import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** ResumptionPSKUsage, RFC 9420 §8.4 (uint8). */
public enum ResumptionPskUsage implements WireEnum {
  APPLICATION(1),
  REINIT(2),
  BRANCH(3);

  private final int code;

  ResumptionPskUsage(int code) {
    this.code = code;
  }

  @Override
  public int code() {
    return code;
  }

  public static ResumptionPskUsage decode(TlsReader r) throws DecodeException {
    return WireEnum.read(r, values(), false);
  }

  public void encode(TlsWriter w) {
    w.u8(code);
  }
}
