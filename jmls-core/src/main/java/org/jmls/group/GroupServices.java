package org.jmls.group;

import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import org.jmls.crypto.CryptoProvider;
import org.jmls.crypto.DefaultCryptoProvider;

/**
 * What a group needs from its surroundings, passed explicitly (no global registries): the crypto
 * provider, a clock for lifetimes, the credential validator (the Authentication Service), the
 * external PSKs, and optionally an executor for independent crypto work (path encryption, Welcome
 * encryption, leaf signature checks). The group never starts threads of its own.
 */
public record GroupServices(
    CryptoProvider provider, Clock clock, CredentialValidator credentials, PskStore psks, ExecutorService executor) {

  public GroupServices {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(credentials, "credentials");
    Objects.requireNonNull(psks, "psks");
  }

  /**
   * Default provider, system clock, no PSKs, no executor, and a credential validator that accepts
   * everything (development only; pass the AS-backed validator in production).
   */
  public static GroupServices development() {
    return new GroupServices(DefaultCryptoProvider.instance(), Clock.systemUTC(), CredentialValidator.ACCEPT_ALL, PskStore.NONE, null);
  }

  public GroupServices withPsks(PskStore store) {
    return new GroupServices(provider, clock, credentials, store, executor);
  }

  public GroupServices withClock(Clock c) {
    return new GroupServices(provider, c, credentials, psks, executor);
  }

  public GroupServices withExecutor(ExecutorService e) {
    return new GroupServices(provider, clock, credentials, psks, e);
  }

  public GroupServices withCredentials(CredentialValidator v) {
    return new GroupServices(provider, clock, v, psks, executor);
  }
}
