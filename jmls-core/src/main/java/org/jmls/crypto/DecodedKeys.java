package org.jmls.crypto;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jmls.Bytes;

/**
 * Signature public keys in decoded form, remembered across verifications: decoding an Ed25519 key
 * (a square root) is about a quarter of a verification, and a group's messages come from few
 * senders. Public values only; bounded ({@value #LIMIT} keys per algorithm, forgotten all at once
 * when full, so a join that checks 100,000 leaves costs at most a few clears). A key that does not
 * decode is remembered as such.
 */
final class DecodedKeys<T> {
  static final int LIMIT = 4096;

  private final ConcurrentHashMap<Bytes, Optional<T>> keys = new ConcurrentHashMap<>();
  private final Function<byte[], T> decode;

  /** {@code decode} returns the decoded key, or null when the bytes are not a valid key. */
  DecodedKeys(Function<byte[], T> decode) {
    this.decode = decode;
  }

  /** The decoded key, or null when {@code pk} does not decode. */
  T get(byte[] pk) {
    Bytes k = Bytes.copyOf(pk);
    Optional<T> known = keys.get(k);
    if (known == null) {
      T decoded;
      try {
        decoded = decode.apply(pk);
      } catch (RuntimeException e) {
        decoded = null;
      }
      known = Optional.ofNullable(decoded);
      if (keys.size() >= LIMIT) {
        keys.clear();
      }
      keys.put(k, known);
    }
    return known.orElse(null);
  }

  int size() {
    return keys.size();
  }
}
