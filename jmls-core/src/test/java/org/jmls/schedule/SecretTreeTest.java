package org.jmls.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.DefaultCryptoProvider;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.schedule.SecretTree.RatchetType;
import org.junit.jupiter.api.Test;

class SecretTreeTest {
  private static final MlsCrypto C =
      DefaultCryptoProvider.instance().suite(CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519);

  private static SecretTree tree(int leaves, OutOfOrderPolicy p) {
    return new SecretTree(C, Secret.wrap(new byte[32]), leaves, p);
  }

  @Test
  void sendAndReceive_deriveTheSameKeys() throws Exception {
    SecretTree sender = tree(8, OutOfOrderPolicy.DEFAULT);
    SecretTree receiver = tree(8, OutOfOrderPolicy.DEFAULT);
    for (int g = 0; g < 3; g++) {
      RatchetKey s = sender.next(5, RatchetType.APPLICATION);
      assertEquals(g, s.generation());
      assertEquals(s.key(), receiver.get(5, RatchetType.APPLICATION, g).key());
    }
  }

  @Test
  void replayedGeneration_rejected_rfc9420_9_4_generationConsumed() throws Exception {
    SecretTree t = tree(4, OutOfOrderPolicy.DEFAULT);
    t.get(1, RatchetType.APPLICATION, 0);
    ValidationException e = assertThrows(ValidationException.class, () -> t.get(1, RatchetType.APPLICATION, 0));
    assertEquals("rfc9420-9.4.generation-consumed", e.ruleId());
  }

  @Test
  void outOfOrderWithinTolerance_accepted_olderDeleted() throws Exception {
    SecretTree t = tree(4, new OutOfOrderPolicy(100, 2));
    t.get(0, RatchetType.APPLICATION, 5);
    // 4 and 3 are within a tolerance of 2 behind 5; 2, 1, 0 were deleted.
    t.get(0, RatchetType.APPLICATION, 4);
    t.get(0, RatchetType.APPLICATION, 3);
    assertThrows(ValidationException.class, () -> t.get(0, RatchetType.APPLICATION, 2));
    assertThrows(ValidationException.class, () -> t.get(0, RatchetType.APPLICATION, 0));
  }

  @Test
  void generationBeyondForwardDistance_rejected_rfc9420_9_4_generationTooFar() throws Exception {
    SecretTree t = tree(4, new OutOfOrderPolicy(10, 0));
    ValidationException e = assertThrows(ValidationException.class, () -> t.get(2, RatchetType.HANDSHAKE, 11));
    assertEquals("rfc9420-9.4.generation-too-far", e.ruleId());
    // The refusal left the ratchet untouched.
    assertEquals(0, t.generation(2, RatchetType.HANDSHAKE));
    t.get(2, RatchetType.HANDSHAKE, 10);
  }

  @Test
  void nodeSecrets_derivedLazilyAndDeletedAlongThePath() throws Exception {
    SecretTree t = tree(1 << 17, OutOfOrderPolicy.DEFAULT);
    assertEquals(1, t.heldNodeSecrets());
    t.next(12345, RatchetType.APPLICATION);
    // One sibling kept per level on the path (17 levels); the root and the leaf itself are gone.
    assertEquals(17, t.heldNodeSecrets());
  }

  @Test
  void handshakeAndApplicationRatchets_areIndependent() throws Exception {
    SecretTree t = tree(2, OutOfOrderPolicy.DEFAULT);
    RatchetKey h = t.next(0, RatchetType.HANDSHAKE);
    RatchetKey a = t.next(0, RatchetType.APPLICATION);
    assertNotEquals(h.key(), a.key());
    h.destroy();
    assertTrue(h.isDestroyed());
  }
}
