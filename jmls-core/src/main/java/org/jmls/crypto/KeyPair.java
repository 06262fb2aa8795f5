package org.jmls.crypto;

import java.util.Objects;
import org.jmls.Bytes;

/** A private key and its public key, both in the encodings MLS puts on the wire (RFC 9420 §5.1). */
public record KeyPair(Secret privateKey, Bytes publicKey) {
  public KeyPair {
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(publicKey, "publicKey");
  }
}
