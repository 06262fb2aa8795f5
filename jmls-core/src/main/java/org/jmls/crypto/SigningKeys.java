package org.jmls.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.UnaryOperator;

/**
 * The public keys of EdDSA signing keys, so a signature does not derive its signer's public key
 * again (half the cost of an Ed25519 signature). Entries are keyed by the private key array itself
 * (weakly: an entry goes with its array) and hold a SHA-256 digest of the key they were derived
 * from: a key array whose content changed (destroyed, or reused) is derived again, so no signature
 * is ever made with a public key that is not its private key's (a mismatch can leak the key).
 */
final class SigningKeys {
  private record Entry(byte[] digest, byte[] publicKey) {}

  private final Map<byte[], Entry> keys = Collections.synchronizedMap(new WeakHashMap<>());

  /** The public key of {@code sk}, derived with {@code derive} unless known for this array and content. */
  byte[] publicKey(byte[] sk, UnaryOperator<byte[]> derive) {
    byte[] digest = sha256(sk);
    Entry e = keys.get(sk);
    if (e != null && MessageDigest.isEqual(e.digest(), digest)) {
      return e.publicKey();
    }
    byte[] pk = derive.apply(sk);
    keys.put(sk, new Entry(digest, pk));
    return pk;
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
