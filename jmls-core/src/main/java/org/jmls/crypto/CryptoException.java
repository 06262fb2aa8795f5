package org.jmls.crypto;

import org.jmls.MlsException;

/** A key, signature, ciphertext or parameter that does not check out. Never carries key material. */
public final class CryptoException extends MlsException {
  private static final long serialVersionUID = 1L;

  public CryptoException(String message) {
    super(message);
  }

  public CryptoException(String message, Throwable cause) {
    super(message, cause);
  }
}
