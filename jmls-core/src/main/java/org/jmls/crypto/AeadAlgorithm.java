package org.jmls.crypto;

/** AEADs of the RFC 9420 cipher suites with their HPKE ids (RFC 9180 §7.3). */
public enum AeadAlgorithm {
  AES128GCM(0x0001, 16),
  AES256GCM(0x0002, 32),
  CHACHA20POLY1305(0x0003, 32);

  private final int aeadId;
  private final int keyLength;

  AeadAlgorithm(int aeadId, int keyLength) {
    this.aeadId = aeadId;
    this.keyLength = keyLength;
  }

  public int aeadId() {
    return aeadId;
  }

  /** Nk. */
  public int keyLength() {
    return keyLength;
  }

  /** Nn: 12 for all three. */
  public int nonceLength() {
    return 12;
  }

  /** Nt: 16 for all three. */
  public int tagLength() {
    return 16;
  }
}
