package org.jmls.codec;

import org.jmls.MlsException;

/**
 * Input bytes are not a valid encoding of the expected structure (RFC 9420 §2.1). Carries the
 * offset into the top-level input where decoding stopped and a reason naming what was expected.
 */
public final class DecodeException extends MlsException {
  private static final long serialVersionUID = 1L;
  private final long offset;
  private final String reason;

  public DecodeException(long offset, String reason) {
    super("decode error at offset " + offset + ": " + reason);
    this.offset = offset;
    this.reason = reason;
  }

  /** Byte offset into the top-level input at which the problem was found. */
  public long offset() {
    return offset;
  }

  /** What was wrong, without the offset. */
  public String reason() {
    return reason;
  }
}
