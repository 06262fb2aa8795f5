package org.jmls.crypto;

import java.security.MessageDigest;
import java.util.Arrays;
import javax.security.auth.Destroyable;

/**
 * Secret key material: a private key, a path secret, an epoch secret. Never prints its content,
 * compares in constant time, and is wiped by {@link #destroy()} once the RFC's deletion schedule
 * says it must go (RFC 9420 §9.2). Using a destroyed secret is a programming error.
 */
public final class Secret implements Destroyable {
  private final byte[] key;
  private volatile boolean destroyed;

  private Secret(byte[] key) {
    this.key = key;
  }

  /** Copies {@code key}; the caller should wipe its own array. */
  public static Secret copyOf(byte[] key) {
    return new Secret(key.clone());
  }

  /** Takes ownership of {@code key} without copying. */
  public static Secret wrap(byte[] key) {
    return new Secret(key);
  }

  public int length() {
    return key.length;
  }

  /** A copy of the secret bytes. */
  public byte[] toByteArray() {
    return live().clone();
  }

  /** The backing array, for crypto internals only; never modify or retain it. */
  public byte[] unsafeArray() {
    return live();
  }

  private byte[] live() {
    if (destroyed) {
      throw new IllegalStateException("secret used after destroy()");
    }
    return key;
  }

  @Override
  public void destroy() {
    Arrays.fill(key, (byte) 0);
    destroyed = true;
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  /** Constant-time comparison of content. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Secret && MessageDigest.isEqual(live(), ((Secret) o).live());
  }

  @Override
  public int hashCode() {
    return key.length;
  }

  @Override
  public String toString() {
    return destroyed ? "Secret[destroyed]" : "Secret[" + key.length + " bytes, redacted]";
  }
}
