package org.jmls.schedule;

/**
 * How a receiver treats generations that arrive out of order in a sender's hash ratchet (RFC 9420
 * §9.4).
 *
 * @param maximumForwardDistance how far past the next expected generation a message may jump; keys
 *     for the generations skipped over are derived and kept. Default 1,000, as in OpenMLS and
 *     mls-rs.
 * @param outOfOrderTolerance how many generations behind the newest one received a skipped key is
 *     kept, and so how many skipped keys a ratchet can hold; older ones are deleted (forward
 *     secrecy, §9.2). Default 5, the OpenMLS default. Zero keeps none: strictly in-order delivery.
 */
public record OutOfOrderPolicy(int maximumForwardDistance, int outOfOrderTolerance) {
  public static final OutOfOrderPolicy DEFAULT = new OutOfOrderPolicy(1000, 5);

  public OutOfOrderPolicy {
    if (maximumForwardDistance < 0 || outOfOrderTolerance < 0) {
      throw new IllegalArgumentException("negative limit");
    }
  }
}
