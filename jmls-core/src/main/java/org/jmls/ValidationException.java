package org.jmls;

/**
 * Input that decoded fine but breaks a rule of RFC 9420 (or of the group's policy). {@link
 * #ruleId()} names the rule, e.g. {@code "secret-tree.generation-too-far"} or {@code
 * "rfc9420-12.4.3.1.leaf-signature"}; tests are named after these ids. The state of whatever
 * refused the input is unchanged.
 */
public final class ValidationException extends MlsException {
  private static final long serialVersionUID = 1L;
  private final String ruleId;

  public ValidationException(String ruleId, String message) {
    super(ruleId + ": " + message);
    this.ruleId = ruleId;
  }

  public String ruleId() {
    return ruleId;
  }
}
