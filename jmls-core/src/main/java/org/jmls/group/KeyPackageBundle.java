package org.jmls.group;

import java.util.Objects;
import org.jmls.crypto.Secret;
import org.jmls.message.KeyPackage;

/**
 * A KeyPackage with the private keys its owner keeps: init key (to open the Welcome), leaf
 * encryption key, and signature key. Never printed.
 */
public record KeyPackageBundle(KeyPackage keyPackage, Secret initKey, Secret encryptionKey, Secret signatureKey) {
  public KeyPackageBundle {
    Objects.requireNonNull(keyPackage, "keyPackage");
    Objects.requireNonNull(initKey, "initKey");
    Objects.requireNonNull(encryptionKey, "encryptionKey");
    Objects.requireNonNull(signatureKey, "signatureKey");
  }

  @Override
  public String toString() {
    return "KeyPackageBundle[suite=" + keyPackage.cipherSuite() + ", keys redacted]";
  }
}
