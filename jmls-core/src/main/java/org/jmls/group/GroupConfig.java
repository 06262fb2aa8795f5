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
 * @param requireHandshakeWireFormat refuse proposals and commits that members send in the other
 *     wire format than {@code encryptHandshakes} ({@code policy.handshake-wire-format}). Off by
 *     default: RFC 9420 lets each sender choose PublicMessage or PrivateMessage for its handshakes,
 *     and members made by other implementations use either; a group that agreed on one format (a
 *     policy in its context) turns it on.
 */
public record GroupConfig(
    boolean encryptHandshakes,
    int paddingBlock,
    OutOfOrderPolicy outOfOrder,
    int pastEpochs,
    boolean ratchetTreeInWelcome,
    boolean checkLifetimesOnJoin,
    boolean requireHandshakeWireFormat) {

  public GroupConfig {
    if (paddingBlock < 0 || pastEpochs < 0) {
      throw new IllegalArgumentException("negative setting");
    }
    java.util.Objects.requireNonNull(outOfOrder, "outOfOrder");
  }

  /** Settings that accept handshakes in either wire format. */
  public GroupConfig(boolean encryptHandshakes, int paddingBlock, OutOfOrderPolicy outOfOrder, int pastEpochs,
      boolean ratchetTreeInWelcome, boolean checkLifetimesOnJoin) {
    this(encryptHandshakes, paddingBlock, outOfOrder, pastEpochs, ratchetTreeInWelcome, checkLifetimesOnJoin, false);
  }

  /**
   * PublicMessage handshakes sent, either format accepted, no padding, default out-of-order policy,
   * 2 past epochs, tree in Welcome.
   */
  public static GroupConfig defaults() {
    return new GroupConfig(false, 0, OutOfOrderPolicy.DEFAULT, 2, true, true);
  }

  public GroupConfig withEncryptedHandshakes(boolean encrypt) {
    return new GroupConfig(encrypt, paddingBlock, outOfOrder, pastEpochs, ratchetTreeInWelcome, checkLifetimesOnJoin, requireHandshakeWireFormat);
  }

  public GroupConfig withOutOfOrder(OutOfOrderPolicy policy) {
    return new GroupConfig(encryptHandshakes, paddingBlock, policy, pastEpochs, ratchetTreeInWelcome, checkLifetimesOnJoin, requireHandshakeWireFormat);
  }

  public GroupConfig withPaddingBlock(int block) {
    return new GroupConfig(encryptHandshakes, block, outOfOrder, pastEpochs, ratchetTreeInWelcome, checkLifetimesOnJoin, requireHandshakeWireFormat);
  }

  public GroupConfig withRatchetTreeInWelcome(boolean inWelcome) {
    return new GroupConfig(encryptHandshakes, paddingBlock, outOfOrder, pastEpochs, inWelcome, checkLifetimesOnJoin, requireHandshakeWireFormat);
  }

  public GroupConfig withCheckLifetimesOnJoin(boolean check) {
    return new GroupConfig(encryptHandshakes, paddingBlock, outOfOrder, pastEpochs, ratchetTreeInWelcome, check, requireHandshakeWireFormat);
  }

  /** These settings refusing (true) or accepting (false) handshakes in the wire format this member does not send. */
  public GroupConfig withRequiredHandshakeWireFormat(boolean require) {
    return new GroupConfig(encryptHandshakes, paddingBlock, outOfOrder, pastEpochs, ratchetTreeInWelcome, checkLifetimesOnJoin, require);
  }
}
