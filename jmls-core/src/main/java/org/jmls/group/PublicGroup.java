package org.jmls.group;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.MlsCrypto;
import org.jmls.extension.RatchetTree;
import org.jmls.framing.Framing;
import org.jmls.framing.WelcomeOpener;
import org.jmls.message.AuthenticatedContent;
import org.jmls.message.Commit;
import org.jmls.message.ContentType;
import org.jmls.message.Extension;
import org.jmls.message.GroupContext;
import org.jmls.message.GroupInfo;
import org.jmls.message.LeafNode;
import org.jmls.message.LeafNodeSource;
import org.jmls.message.MlsMessage;
import org.jmls.message.Node;
import org.jmls.message.Proposal;
import org.jmls.message.ProposalOrRef;
import org.jmls.message.ProtocolVersion;
import org.jmls.message.PublicMessage;
import org.jmls.message.Sender;
import org.jmls.message.SenderType;
import org.jmls.schedule.TranscriptHash;

/**
 * The public view of a group, without any secret (what a Delivery Service can track from
 * PublicMessage handshakes and GroupInfos): GroupContext, ratchet tree, interim transcript hash,
 * roster. It verifies every PublicMessage proposal and commit as far as public data allows —
 * signatures, proposal-list rules (§12.2, the same {@code ProposalList} members use), leaf
 * validation, UpdatePath parent hashes — and follows the epoch. It cannot check membership tags or
 * confirmation tags (they need epoch secrets) and cannot read PrivateMessages.
 */
public final class PublicGroup {
  private final GroupServices services;
  private final MlsCrypto crypto;
  private GroupContext context;
  private org.jmls.tree.RatchetTree tree;
  private Bytes interim;
  private final Map<Bytes, ProposalList.Entry> proposals = new LinkedHashMap<>();

  private PublicGroup(GroupServices services, MlsCrypto crypto, GroupContext context, org.jmls.tree.RatchetTree tree, Bytes interim) {
    this.services = services;
    this.crypto = crypto;
    this.context = context;
    this.tree = tree;
    this.interim = interim;
  }

  /**
   * Starts tracking from a GroupInfo (tree from its ratchet_tree extension or {@code treeOutOfBand}):
   * the tree is validated in full and the GroupInfo signature checked.
   */
  public static PublicGroup fromGroupInfo(GroupServices services, GroupInfo gi, List<Node> treeOutOfBand)
      throws ValidationException {
    GroupContext gc = gi.groupContext();
    CipherSuite suite = CipherSuite.of(gc.cipherSuite());
    if (suite == null || gc.version() != ProtocolVersion.MLS10) {
      throw new ValidationException("rfc9420-5.cipher-suite", "unsupported suite or version");
    }
    MlsCrypto c = services.provider().suite(suite);
    org.jmls.tree.RatchetTree t = Group.verifiedTree(c, services, GroupConfig.defaults(), gi, treeOutOfBand);
    Bytes interim = Bytes.wrap(TranscriptHash.interim(c, gc.confirmedTranscriptHash().unsafeArray(), gi.confirmationTag().unsafeArray()));
    return new PublicGroup(services, c, gc, t, interim);
  }

  /** An independent copy (the tree is copied; nodes are immutable and shared). */
  public PublicGroup copy() {
    PublicGroup c = new PublicGroup(services, crypto, context, tree.copy(), interim);
    c.proposals.putAll(proposals);
    return c;
  }

  public GroupContext context() {
    return context;
  }

  public long epoch() {
    return context.epoch();
  }

  /** A copy of the current tree. */
  public org.jmls.tree.RatchetTree tree() {
    return tree.copy();
  }

  /** Current members by leaf index. */
  public Map<Integer, LeafNode> members() {
    Map<Integer, LeafNode> m = new LinkedHashMap<>();
    for (int l = 0; l < tree.leafCount(); l++) {
      if (tree.leaf(l) != null) {
        m.put(l, tree.leaf(l));
      }
    }
    return Collections.unmodifiableMap(m);
  }

  /**
   * Whether {@code gi} describes exactly this group's current state (RFC 9750 §5.5: a member must
   * not be able to plant a GroupInfo that does not match): same GroupContext, a tree extension
   * (if any) equal to the tracked tree, a signer that is a member, and a valid signature.
   */
  public void checkGroupInfo(GroupInfo gi) throws ValidationException {
    if (!gi.groupContext().equals(context)) {
      throw new ValidationException("rfc9750-5.5.group-info-context", "the GroupInfo's GroupContext differs from the tracked state");
    }
    Extension treeExt = Extension.find(gi.extensions(), Extension.RATCHET_TREE);
    if (treeExt != null && !treeExt.extensionData().equals(new RatchetTree(tree.toNodes()).toExtension().extensionData())) {
      throw new ValidationException("rfc9750-5.5.group-info-tree", "the GroupInfo's ratchet tree differs from the tracked tree");
    }
    LeafNode signer = tree.leaf(gi.signer());
    if (signer == null || !WelcomeOpener.groupInfoSignatureValid(crypto, gi, signer.signatureKey())) {
      throw new ValidationException("rfc9420-12.4.3.group-info-signature", "the GroupInfo signature does not verify");
    }
  }

  /**
   * The outcome of a tracked commit: the new epoch, leaves added and removed, and every leaf whose
   * node the commit changed (added, removed, updated, and the committer's when it carried a path):
   * what a roster needs to look at, without reading every leaf.
   */
  public record CommitOutcome(long newEpoch, List<Integer> added, List<Integer> removed, List<Integer> changed) {}

  /** The leaf at {@code index} (null when blank or beyond the tree). */
  public LeafNode leaf(int index) {
    return index >= 0 && index < tree.leafCount() ? tree.leaf(index) : null;
  }

  /**
   * Verifies a PublicMessage proposal or commit for the current epoch and, for a commit, advances
   * to the next epoch. Proposals are remembered for later commits by reference. Refused messages
   * change nothing. Returns the outcome of a commit, or null for a proposal.
   */
  public CommitOutcome handle(MlsMessage message) throws ValidationException, org.jmls.crypto.CryptoException {
    if (!(message.body() instanceof PublicMessage)) {
      throw new ValidationException("public-group.wire-format", "only PublicMessage handshakes can be tracked publicly");
    }
    PublicMessage pm = (PublicMessage) message.body();
    AuthenticatedContent ac = pm.authenticatedContent();
    if (!pm.content().groupId().equals(context.groupId()) || pm.content().epoch() != context.epoch()) {
      throw new ValidationException("rfc9420-12.4.2.epoch", "not for this group's current epoch " + context.epoch());
    }
    Sender s = pm.content().sender();
    Bytes key = signerKey(pm);
    if (!Framing.verifySignature(crypto, ac, context, key)) {
      throw crypto.signatureRefusal(key, "the sender's signature key", "rfc9420-6.1.signature", "the signature does not verify");
    }
    if (pm.content().contentType() == ContentType.PROPOSAL) {
      Group.checkProposalRoom(proposals.size(), services);
      Proposal p = (Proposal) pm.content().content();
      services.proposals().validate(p, s, context, tree);
      Bytes ref = crypto.makeProposalRef(ac.toByteArray());
      proposals.put(ref, new ProposalList.Entry(p, s, ref));
      return null;
    }
    if (pm.content().contentType() != ContentType.COMMIT) {
      throw new ValidationException("rfc9420-6.2.public-application", "application data is never a PublicMessage");
    }
    Commit commit = (Commit) pm.content().content();
    boolean external = s.senderType() == SenderType.NEW_MEMBER_COMMIT;
    List<ProposalList.Entry> entries = new ArrayList<>();
    for (ProposalOrRef por : commit.proposals()) {
      if (por.isReference()) {
        ProposalList.Entry e = proposals.get(por.reference());
        if (e == null) {
          throw new ValidationException("rfc9420-12.4.unknown-proposal", "the commit references a proposal not seen");
        }
        entries.add(e);
      } else {
        entries.add(new ProposalList.Entry(por.proposal(), s, null));
      }
    }
    EpochState now = new EpochState(context, tree, interim, null, null, new org.jmls.tree.PathKeys(), -1);
    ProposalList.Applied applied = ProposalList.apply(crypto, services, now, entries, external ? -1 : s.index(), external,
        services.clock().instant().getEpochSecond());
    if ((applied.pathRequired || external) && commit.path() == null) {
      throw new ValidationException("rfc9420-12.4.2.path-required", "the commit requires a path");
    }
    org.jmls.tree.RatchetTree next = applied.tree;
    int committer = s.index();
    if (commit.path() != null) {
      if (external) {
        committer = next.addLeaf(commit.path().leafNode());
      }
      LeafValidation.validate(crypto, services, commit.path().leafNode(), LeafNodeSource.COMMIT, context.groupId(), committer,
          applied.extensions, next, committer, -1);
      LeafValidation.checkPathKeys(crypto, commit.path(), next);
      next.mergeUpdatePath(committer, commit.path());
    }
    LeafValidation.checkCredentialTypes(tree, next, applied, commit.path() != null ? committer : -1);
    byte[] confirmed = TranscriptHash.confirmed(crypto, interim.unsafeArray(), ac);
    Bytes tag = ac.auth().confirmationTag();
    context = new GroupContext(ProtocolVersion.MLS10, context.cipherSuite(), context.groupId(), context.epoch() + 1,
        Bytes.wrap(next.treeHash()), Bytes.wrap(confirmed), applied.extensions);
    tree = next;
    interim = Bytes.wrap(TranscriptHash.interim(crypto, confirmed, tag.unsafeArray()));
    proposals.clear();
    java.util.Set<Integer> changed = new java.util.TreeSet<>();
    changed.addAll(applied.addedLeaves);
    changed.addAll(applied.removedLeaves);
    changed.addAll(applied.updatedLeaves);
    if (commit.path() != null) {
      changed.add(committer);
    }
    return new CommitOutcome(context.epoch(), List.copyOf(applied.addedLeaves), List.copyOf(applied.removedLeaves),
        List.copyOf(changed));
  }

  private Bytes signerKey(PublicMessage pm) throws ValidationException {
    Sender s = pm.content().sender();
    switch (s.senderType()) {
      case MEMBER: {
        LeafNode leaf = s.index() >= 0 && s.index() < tree.leafCount() ? tree.leaf(s.index()) : null;
        if (leaf == null) {
          throw new ValidationException("rfc9420-6.sender-blank", "the sender leaf is blank or absent");
        }
        return leaf.signatureKey();
      }
      case NEW_MEMBER_COMMIT: {
        Commit c = pm.content().content() instanceof Commit ? (Commit) pm.content().content() : null;
        if (c == null || c.path() == null) {
          throw new ValidationException("rfc9420-12.4.3.2.external-path", "an external commit must carry an UpdatePath");
        }
        return c.path().leafNode().signatureKey();
      }
      case NEW_MEMBER_PROPOSAL: {
        if (!(pm.content().content() instanceof Proposal.Add)) {
          throw new ValidationException("rfc9420-12.1.8.new-member-proposal", "a new member may only propose its own Add");
        }
        return ((Proposal.Add) pm.content().content()).keyPackage().leafNode().signatureKey();
      }
      default: {
        Extension e = Extension.find(context.extensions(), Extension.EXTERNAL_SENDERS);
        try {
          List<org.jmls.extension.ExternalSenders.ExternalSender> senders =
              e == null ? List.of() : org.jmls.extension.ExternalSenders.from(e).senders();
          if (s.index() < 0 || s.index() >= senders.size()) {
            throw new ValidationException("rfc9420-12.1.8.external-sender", "no such external sender");
          }
          return senders.get(s.index()).signatureKey();
        } catch (DecodeException ex) {
          throw new ValidationException("rfc9420-12.1.8.1.external-senders", "external_senders does not decode");
        }
      }
    }
  }
}
