package org.jmls.client;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.as.X509Credentials;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.message.Extension;
import org.jmls.message.GroupContext;
import org.jmls.message.KeyPackage;
import org.jmls.message.LeafNode;
import org.jmls.message.Proposal;
import org.jmls.message.Sender;
import org.jmls.message.SenderType;
import org.jmls.schedule.OutOfOrderPolicy;
import org.jmls.tree.RatchetTree;

/**
 * A group's operating policy (RFC 9750 §7), agreed by all members because it lives in the
 * GroupContext (application extension {@value #EXTENSION_TYPE}): allowed cipher suites, who may add
 * and remove members (admins, by user id; empty means everyone), whether external joins are
 * allowed, out-of-order tolerance, KeyPackage lifetime, how often members refresh their keys, and
 * how long a member may go without refreshing before admins remove it. Every member enforces it
 * through {@link #VALIDATOR}. Admins alone may change the policy; any member may rename the group
 * ({@link GroupName}).
 */
public record GroupPolicy(
    List<Integer> allowedSuites,
    List<String> admins,
    boolean externalJoins,
    int maximumForwardDistance,
    int outOfOrderTolerance,
    long keyPackageLifetimeSeconds,
    long selfUpdateIntervalSeconds,
    long maxStalenessSeconds,
    boolean encryptedHandshakes) {

  /** The GroupContext extension type carrying the policy (private-use range). */
  public static final int EXTENSION_TYPE = 0xF0A0;

  public GroupPolicy {
    allowedSuites = List.copyOf(allowedSuites);
    admins = List.copyOf(admins);
  }

  /**
   * Every suite this process runs ({@link org.jmls.crypto.CipherSuite#all}), {@code admin} as the
   * only admin, external joins allowed (state-loss recovery), daily updates, 30 days staleness,
   * public handshakes (the DS verifies every commit).
   */
  public static GroupPolicy defaults(String admin) {
    List<Integer> suites = new ArrayList<>();
    for (org.jmls.crypto.CipherSuite s : org.jmls.crypto.CipherSuite.all()) {
      suites.add(s.id());
    }
    return new GroupPolicy(suites, List.of(admin), true, 1000, 5, 30L * 86400, 86400, 30L * 86400, false);
  }

  /**
   * This policy restricted to post-quantum suites: a KEM with ML-KEM (against harvest-now,
   * decrypt-later), and with {@code signaturesToo} ML-DSA signatures as well (authenticity against
   * a quantum attacker).
   */
  public GroupPolicy postQuantumOnly(boolean signaturesToo) {
    List<Integer> suites = new ArrayList<>();
    for (int id : allowedSuites) {
      org.jmls.crypto.CipherSuite s = org.jmls.crypto.CipherSuite.of(id);
      if (s != null && s.isPostQuantum() && (!signaturesToo || s.hasPostQuantumSignatures())) {
        suites.add(id);
      }
    }
    return withAllowedSuites(suites);
  }

  /** The member settings this policy implies: its handshake wire format and out-of-order limits. */
  public GroupConfig config() {
    // The policy fixes the handshake wire format for every member: the other one is refused. The
    // DS keeps the ratchet tree (it derives it from public commits; committers of encrypted ones
    // upload what changed), so Welcomes go without it: joiners fetch it from the DS and check it
    // against the tree hash the GroupInfo signs.
    return GroupConfig.defaults().withEncryptedHandshakes(encryptedHandshakes).withRequiredHandshakeWireFormat(true)
        .withOutOfOrder(outOfOrder()).withRatchetTreeInWelcome(false);
  }

  /** This policy with handshakes sent as PrivateMessage (true: the DS sees no proposal or commit content) or PublicMessage. */
  public GroupPolicy withEncryptedHandshakes(boolean encrypted) {
    return new GroupPolicy(allowedSuites, admins, externalJoins, maximumForwardDistance, outOfOrderTolerance,
        keyPackageLifetimeSeconds, selfUpdateIntervalSeconds, maxStalenessSeconds, encrypted);
  }

  /** This policy allowing {@code suites} (registry values) only. */
  public GroupPolicy withAllowedSuites(List<Integer> suites) {
    return new GroupPolicy(suites, admins, externalJoins, maximumForwardDistance, outOfOrderTolerance,
        keyPackageLifetimeSeconds, selfUpdateIntervalSeconds, maxStalenessSeconds, encryptedHandshakes);
  }

  /** This policy with {@code admins} as the users who may add, remove and reconfigure (empty: every member). */
  public GroupPolicy withAdmins(List<String> admins) {
    return new GroupPolicy(allowedSuites, admins, externalJoins, maximumForwardDistance, outOfOrderTolerance,
        keyPackageLifetimeSeconds, selfUpdateIntervalSeconds, maxStalenessSeconds, encryptedHandshakes);
  }

  /** The settings for a member of the group with this context: its policy's, or the defaults when it has none. */
  public static GroupConfig configFor(GroupContext context) throws ValidationException {
    GroupPolicy policy = of(context);
    return policy == null ? GroupConfig.defaults() : policy.config();
  }

  /**
   * Whether a KeyPackage is fresh enough to be added under this policy: it was made (its lifetime
   * began, less the minute of clock-skew allowance clients put before it) no more than the
   * policy's KeyPackage lifetime before {@code now} (epoch seconds). Judged by the committer only,
   * so that members with different clocks never disagree about a commit.
   */
  public boolean freshEnough(KeyPackage kp, long now) {
    return now - kp.leafNode().lifetime().notBefore() <= keyPackageLifetimeSeconds + 60;
  }

  public OutOfOrderPolicy outOfOrder() {
    return new OutOfOrderPolicy(maximumForwardDistance, outOfOrderTolerance);
  }

  public boolean isAdmin(String user) {
    return admins.isEmpty() || admins.contains(user);
  }

  public Extension toExtension() {
    TlsWriter w = new TlsWriter();
    w.u16Vector(allowedSuites);
    int start = w.beginVector();
    for (String a : admins) {
      w.opaque(a.getBytes(StandardCharsets.UTF_8));
    }
    w.endVector(start);
    w.u8(externalJoins ? 1 : 0).u32(maximumForwardDistance).u32(outOfOrderTolerance).u64(keyPackageLifetimeSeconds)
        .u64(selfUpdateIntervalSeconds).u64(maxStalenessSeconds).u8(encryptedHandshakes ? 1 : 0);
    return new Extension(EXTENSION_TYPE, Bytes.wrap(w.toByteArray()));
  }

  /** The policy of a group, or null when its context carries none. */
  public static GroupPolicy of(GroupContext context) throws ValidationException {
    Extension e = Extension.find(context.extensions(), EXTENSION_TYPE);
    if (e == null) {
      return null;
    }
    try {
      return TlsReader.decode(e.extensionData().unsafeArray(), r -> {
        List<Integer> suites = r.u16Vector();
        List<String> admins = new ArrayList<>();
        for (Bytes a : r.vector(TlsReader::opaque)) {
          admins.add(new String(a.toByteArray(), StandardCharsets.UTF_8));
        }
        return new GroupPolicy(suites, admins, r.u8() == 1, r.u32(), r.u32(), r.u64(), r.u64(), r.u64(), r.u8() == 1);
      });
    } catch (DecodeException ex) {
      throw new ValidationException("policy.decode", "the group's policy extension does not decode");
    }
  }

  /** Whether {@code next} differs from {@code current} in the group name only (both in the same order otherwise). */
  static boolean onlyRenames(List<Extension> current, List<Extension> next) {
    return GroupName.without(current).equals(GroupName.without(next)) && Extension.find(next, GroupName.EXTENSION_TYPE) != null;
  }

  /** Enforces the policy of the group a proposal is made in (groups without a policy are unaffected). */
  public static final GroupServices.ProposalValidator VALIDATOR = new GroupServices.ProposalValidator() {
    @Override
    public void validate(Proposal p, Sender s) {}

    @Override
    public void validate(Proposal p, Sender s, GroupContext context, RatchetTree tree) throws ValidationException {
      GroupPolicy policy = of(context);
      if (policy == null) {
        return;
      }
      if (p instanceof Proposal.ExternalInit && !policy.externalJoins()) {
        throw new ValidationException("policy.external-joins", "this group's policy does not allow external joins");
      }
      if (p instanceof Proposal.GroupContextExtensions) {
        List<Extension> next = ((Proposal.GroupContextExtensions) p).extensions();
        GroupName.of(Extension.find(next, GroupName.EXTENSION_TYPE)); // a new name must be a valid one
        if (onlyRenames(context.extensions(), next)) {
          return; // any member may rename the group; the policy and everything else change only by an admin
        }
      }
      boolean restricted = p instanceof Proposal.Add || p instanceof Proposal.Remove || p instanceof Proposal.GroupContextExtensions
          || p instanceof Proposal.ReInit;
      if (!restricted || policy.admins().isEmpty()) {
        return;
      }
      if (s.senderType() == SenderType.NEW_MEMBER_COMMIT && p instanceof Proposal.Remove) {
        return; // an external rejoin removes the joiner's own old leaf; checked by the external-commit rules
      }
      LeafNode leaf = s.senderType() == SenderType.MEMBER ? tree.leaf(s.index()) : null;
      if (leaf == null || !policy.isAdmin(X509Credentials.user(leaf.credential()))) {
        throw new ValidationException("policy.admin-only", "only this group's admins " + policy.admins() + " may add, remove or reconfigure");
      }
    }
  };
}
