package org.jmls.group;

import java.util.HashMap;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.crypto.Secret;
import org.jmls.message.PreSharedKeyId;
import org.jmls.message.PskType;

/** External pre-shared keys known to this client, by psk_id (RFC 9420 §8.4). */
@FunctionalInterface
public interface PskStore {
  /** The external PSK with {@code pskId}, or null. */
  Secret external(Bytes pskId);

  /**
   * The resumption PSK of {@code groupId} at {@code epoch} (RFC 9420 §8.6), or null. Groups answer
   * for themselves; this is consulted for other groups (reinit and branch Welcomes).
   */
  default Secret resumption(Bytes groupId, long epoch) {
    return null;
  }

  PskStore NONE = id -> null;

  /** A store over a fixed map of psk_id to secret. */
  static PskStore of(Map<Bytes, Secret> psks) {
    Map<Bytes, Secret> copy = new HashMap<>(psks);
    return copy::get;
  }

  /** Whether {@code id} is an external PSK this store has. */
  default boolean has(PreSharedKeyId id) {
    return id.pskType() == PskType.EXTERNAL && external(id.pskId()) != null;
  }
}
