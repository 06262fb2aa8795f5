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
    CryptoProvider provider, Clock clock, CredentialValidator credentials, PskStore psks, ExecutorService executor,
    ProposalValidator proposals, Limits limits) {

  /**
   * Bounds on what other parties can make a member keep. {@code cachedProposals}: proposals held
   * for the current epoch (each member or external sender can send many; they are kept until a
   * commit, and RFC 9420 sets no number): one more is refused ({@code limit.cached-proposals}).
   */
  public record Limits(int cachedProposals) {
    public static final Limits DEFAULT = new Limits(10_000);

    public Limits {
      if (cachedProposals < 1) {
        throw new IllegalArgumentException("cachedProposals must be positive");
      }
    }
  }

  /**
   * The application's rules for proposals: called for every proposal of a type this library does
   * not implement (application-defined types, carried as {@code Proposal.Unknown}) and for every
   * proposal of any type before it is committed, so policies such as "only admins may add" plug in
   * here. Throw a ValidationException to refuse.
   */
  @FunctionalInterface
  public interface ProposalValidator {
    void validate(org.jmls.message.Proposal proposal, org.jmls.message.Sender sender) throws org.jmls.ValidationException;

    /**
     * The same check with the group it happens in: the GroupContext (where policies agreed by the
     * group live, e.g. in an application extension) and the tree (to resolve who the sender is).
     * Defaults to {@link #validate(org.jmls.message.Proposal, org.jmls.message.Sender)}.
     */
    default void validate(org.jmls.message.Proposal proposal, org.jmls.message.Sender sender, org.jmls.message.GroupContext context,
        org.jmls.tree.RatchetTree tree) throws org.jmls.ValidationException {
      validate(proposal, sender);
    }

    /** Accepts every proposal of the RFC's types and refuses application-defined ones. */
    ProposalValidator RFC_ONLY = (p, s) -> {
      if (p instanceof org.jmls.message.Proposal.Unknown) {
        throw new org.jmls.ValidationException("app.proposal-type", "no application rule accepts proposal type " + p.proposalType());
      }
    };
  }

  public GroupServices {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(credentials, "credentials");
    Objects.requireNonNull(psks, "psks");
    Objects.requireNonNull(proposals, "proposals");
    Objects.requireNonNull(limits, "limits");
  }

  /** Services with the default {@link Limits}. */
  public GroupServices(CryptoProvider provider, Clock clock, CredentialValidator credentials, PskStore psks, ExecutorService executor,
      ProposalValidator proposals) {
    this(provider, clock, credentials, psks, executor, proposals, Limits.DEFAULT);
  }

  /** Services without an application proposal rule ({@link ProposalValidator#RFC_ONLY}). */
  public GroupServices(CryptoProvider provider, Clock clock, CredentialValidator credentials, PskStore psks, ExecutorService executor) {
    this(provider, clock, credentials, psks, executor, ProposalValidator.RFC_ONLY);
  }

  public GroupServices withProposalValidator(ProposalValidator v) {
    return new GroupServices(provider, clock, credentials, psks, executor, v, limits);
  }

  /**
   * Default provider, system clock, no PSKs, no executor, and a credential validator that accepts
   * everything (development only; pass the AS-backed validator in production).
   */
  public static GroupServices development() {
    return new GroupServices(DefaultCryptoProvider.instance(), Clock.systemUTC(), CredentialValidator.ACCEPT_ALL, PskStore.NONE, null);
  }

  public GroupServices withPsks(PskStore store) {
    return new GroupServices(provider, clock, credentials, store, executor, proposals, limits);
  }

  public GroupServices withClock(Clock c) {
    return new GroupServices(provider, c, credentials, psks, executor, proposals, limits);
  }

  public GroupServices withExecutor(ExecutorService e) {
    return new GroupServices(provider, clock, credentials, psks, e, proposals, limits);
  }

  public GroupServices withCredentials(CredentialValidator v) {
    return new GroupServices(provider, clock, v, psks, executor, proposals, limits);
  }

  public GroupServices withLimits(Limits l) {
    return new GroupServices(provider, clock, credentials, psks, executor, proposals, l);
  }
}
