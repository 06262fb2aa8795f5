package org.jmls;

/**
 * Base of every checked error jmls reports. Errors are split by the phase that found them: {@link
 * org.jmls.codec.DecodeException} (bytes that are not a valid encoding), {@link
 * org.jmls.crypto.CryptoException} (a key, signature or ciphertext that does not check out), and
 * validation errors carrying an RFC rule id. A message never contains secret material.
 */
public abstract class MlsException extends Exception {
  private static final long serialVersionUID = 1L;

  protected MlsException(String message) {
    super(message);
  }

  protected MlsException(String message, Throwable cause) {
    super(message, cause);
  }
}
