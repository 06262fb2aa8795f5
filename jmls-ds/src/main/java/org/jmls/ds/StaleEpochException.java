package org.jmls.ds;

import org.jmls.MlsException;

/**
 * A commit lost the race for its epoch (RFC 9750 §5.2): another commit was accepted first. The
 * sender catches up from {@link #currentEpoch()} and re-issues its intent.
 */
public final class StaleEpochException extends MlsException {
  private static final long serialVersionUID = 1L;
  private final long currentEpoch;

  public StaleEpochException(long submitted, long currentEpoch) {
    super("ds.stale-epoch: a commit for epoch " + submitted + " arrived while the group is at epoch " + currentEpoch);
    this.currentEpoch = currentEpoch;
  }

  public long currentEpoch() {
    return currentEpoch;
  }
}
