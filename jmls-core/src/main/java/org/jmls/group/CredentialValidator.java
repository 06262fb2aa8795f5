package org.jmls.group;

import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.message.Credential;

/**
 * Where the Authentication Service plugs in (RFC 9420 §5.3.1, RFC 9750 §4): called for every new or
 * changed credential a group sees (KeyPackages in Adds, Update and commit leaves, joined trees).
 */
@FunctionalInterface
public interface CredentialValidator {
  /** Throws if {@code credential} is not acceptable for a member signing with {@code signatureKey}. */
  void validate(Credential credential, Bytes signatureKey) throws ValidationException;

  /**
   * Accepts every credential. For development and tests only: basic credentials are then not
   * authenticated by anyone.
   */
  CredentialValidator ACCEPT_ALL = (credential, signatureKey) -> {};
}
