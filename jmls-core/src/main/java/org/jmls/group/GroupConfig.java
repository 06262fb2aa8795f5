package org.jmls.group;

import org.jmls.schedule.OutOfOrderPolicy;

/**
 * Per-group settings of one member (RFC 9420 leaves these to the application; RFC 9750 §7 asks
 * that all members of a group apply the same ones).
 *
 * @param encryptHandshakes send proposals and commits as PrivateMessage (true) or PublicMessage
 * @param paddingBlock pad PrivateMessage plaintexts to a multiple of this many bytes (0: none)
 * @param outOfOrder how far and how long a sender's generations may arrive out of order
 * @param pastEpochs how many past epochs keep their secret trees for late application messages
 * @param ratchetTreeInWelcome put the ratchet tree in the GroupInfo of Welcome messages (else the
 *     application hands it over out of band)
 * @param checkLifetimesOnJoin check the lifetime of every key_package leaf when joining (RFC 9420
 *     §7.3 RECOMMENDED); lifetimes of new KeyPackages are always checked
 */
public record GroupConfig(
    boolean encryptHandshakes,
    int paddingBlock,
    OutOfOrderPolicy outOfOrder,
    int pastEpochs,
    boolean ratchetTreeInWelcome,
    boolean checkLifetimesOnJoin) {

  public GroupConfig {
    if (paddingBlock < 0 || pastEpochs < 0) {
      throw new IllegalArgumentException("negative setting");
    }
    java.util.Objects.requireNonNull(outOfOrder, "outOfOrder");
  }

  /** PublicMessage handshakes, no padding, default out-of-order policy, 2 past epochs, tree in Welcome. */
  public static GroupConfig defaults() {
    return new GroupConfig(false, 0, OutOfOrderPolicy.DEFAULT, 2, true, true);
  }

  public GroupConfig withEncryptedHandshakes(boolean encrypt) {
    return new GroupConfig(encrypt, paddingBlock, outOfOrder, pastEpochs, ratchetTreeInWelcome, checkLifetimesOnJoin);
  }

  public GroupConfig withOutOfOrder(OutOfOrderPolicy policy) {
    return new GroupConfig(encryptHandshakes, paddingBlock, policy, pastEpochs, ratchetTreeInWelcome, checkLifetimesOnJoin);
  }

  public GroupConfig withPaddingBlock(int block) {
    return new GroupConfig(encryptHandshakes, block, outOfOrder, pastEpochs, ratchetTreeInWelcome, checkLifetimesOnJoin);
  }

  public GroupConfig withRatchetTreeInWelcome(boolean inWelcome) {
    return new GroupConfig(encryptHandshakes, paddingBlock, outOfOrder, pastEpochs, inWelcome, checkLifetimesOnJoin);
  }

  public GroupConfig withCheckLifetimesOnJoin(boolean check) {
    return new GroupConfig(encryptHandshakes, paddingBlock, outOfOrder, pastEpochs, ratchetTreeInWelcome, check);
  }
}
