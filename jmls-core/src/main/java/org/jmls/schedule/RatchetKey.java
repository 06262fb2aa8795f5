package org.jmls.schedule;

import javax.security.auth.Destroyable;
import org.jmls.crypto.Secret;

/** An AEAD key and nonce for one generation of a sender's ratchet (RFC 9420 §9.1). */
public record RatchetKey(int generation, Secret key, Secret nonce) implements Destroyable {
  @Override
  public void destroy() {
    key.destroy();
    nonce.destroy();
  }

  @Override
  public boolean isDestroyed() {
    return key.isDestroyed();
  }
}
