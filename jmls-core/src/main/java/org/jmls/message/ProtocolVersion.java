package org.jmls.message;

/** ProtocolVersion values (RFC 9420 §6, uint16). Kept as plain ints so GREASE values pass through. */
public final class ProtocolVersion {
  public static final int MLS10 = 1;

  private ProtocolVersion() {}
}
