package org.jmls.group;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.crypto.MlsCrypto;
import org.jmls.extension.RequiredCapabilities;
import org.jmls.message.Extension;
import org.jmls.message.KeyPackage;
import org.jmls.message.LeafNode;
import org.jmls.message.LeafNodeSource;
import org.jmls.message.PreSharedKeyId;
import org.jmls.message.Proposal;
import org.jmls.message.PskType;
import org.jmls.message.ResumptionPskUsage;
import org.jmls.message.Sender;
import org.jmls.message.SenderType;
import org.jmls.tree.RatchetTree;

/**
 * Validating (RFC 9420 §12.1, §12.2) and applying (§12.3) the proposals a commit covers. Used by
 * committers and receivers alike, so both reach the same verdict. Works on a copy of the tree.
 */
final class ProposalList {
  private ProposalList() {}

  /** One committed proposal with who proposed it and its reference (null when by value). */
  record Entry(Proposal proposal, Sender sender, Bytes ref) {}

  /** The result of applying a valid list. */
  static final class Applied {
    RatchetTree tree;
    List<Extension> extensions;
    final List<Integer> addedLeaves = new ArrayList<>();
    final List<KeyPackage> addedKeyPackages = new ArrayList<>();
    final List<Integer> removedLeaves = new ArrayList<>();
    final List<Integer> updatedLeaves = new ArrayList<>();
    final List<PreSharedKeyId> psks = new ArrayList<>();
    Proposal.ReInit reinit;
    Proposal.ExternalInit externalInit;
    boolean pathRequired;
  }

  private static boolean pathRequired(int type) {
    return type != Proposal.ADD && type != Proposal.PSK && type != Proposal.REINIT;
  }

  /**
   * Validates {@code entries} for a commit by {@code committer} (a leaf index; for an external
   * commit, -1 and {@code external} true) in the state {@code st}, and applies them to a copy of its
   * tree. {@code nowSeconds} is the time for KeyPackage lifetimes.
   */
  static Applied apply(MlsCrypto c, GroupServices services, EpochState st, List<Entry> entries, int committer,
      boolean external, long nowSeconds) throws ValidationException {
    Applied out = new Applied();
    out.tree = st.tree.copy();
    out.extensions = st.context.extensions();
    out.pathRequired = entries.isEmpty();
    Bytes groupId = st.context.groupId();

    List<Entry> gce = new ArrayList<>();
    List<Entry> updates = new ArrayList<>();
    List<Entry> removes = new ArrayList<>();
    List<Entry> adds = new ArrayList<>();
    Set<Integer> touched = new HashSet<>();
    Set<PreSharedKeyId> pskIds = new HashSet<>();
    int externalInits = 0;
    for (Entry e : entries) {
      Proposal p = e.proposal();
      services.proposals().validate(p, e.sender(), st.context, st.tree);
      out.pathRequired |= pathRequired(p.proposalType());
      if (p instanceof Proposal.GroupContextExtensions) {
        gce.add(e);
      } else if (p instanceof Proposal.Update) {
        updates.add(e);
      } else if (p instanceof Proposal.Remove || p instanceof Proposal.SelfRemove) {
        if (p instanceof Proposal.SelfRemove) {
          checkUnknownSupported(st.tree, Proposal.SELF_REMOVE);
        }
        removes.add(e);
      } else if (p instanceof Proposal.Add) {
        adds.add(e);
      } else if (p instanceof Proposal.PreSharedKey) {
        PreSharedKeyId id = ((Proposal.PreSharedKey) p).psk();
        if (!pskIds.add(id)) {
          throw new ValidationException("rfc9420-12.2.duplicate-psk", "two PreSharedKey proposals name the same PSK");
        }
        checkPsk(c, id, st.epoch() == 0);
        out.psks.add(id);
      } else if (p instanceof Proposal.ReInit) {
        if (entries.size() != 1) {
          throw new ValidationException("rfc9420-12.2.reinit-not-alone", "a ReInit proposal must be the only proposal");
        }
        out.reinit = (Proposal.ReInit) p;
      } else if (p instanceof Proposal.ExternalInit) {
        if (!external) {
          throw new ValidationException("rfc9420-12.2.external-init", "an ExternalInit proposal in a regular commit");
        }
        externalInits++;
        out.externalInit = (Proposal.ExternalInit) p;
      } else {
        checkUnknownSupported(st.tree, p.proposalType());
      }
    }
    if (external) {
      if (externalInits != 1) {
        throw new ValidationException("rfc9420-12.2.external-init-count", "an external commit needs exactly one ExternalInit");
      }
      if (removes.size() > 1 || !updates.isEmpty() || !adds.isEmpty() || !gce.isEmpty() || out.reinit != null) {
        throw new ValidationException("rfc9420-12.2.external-commit-proposals",
            "an external commit may hold only ExternalInit, one Remove and PreSharedKey proposals");
      }
      for (Entry e : entries) {
        if (e.ref() != null) {
          throw new ValidationException("rfc9420-12.4.3.2.by-reference", "an external commit cannot reference proposals");
        }
      }
    }
    if (gce.size() > 1) {
      throw new ValidationException("rfc9420-12.2.multiple-gce", "more than one GroupContextExtensions proposal");
    }

    // 1. GroupContextExtensions: the new extensions govern the rest of the list.
    if (!gce.isEmpty()) {
      List<Extension> ext = ((Proposal.GroupContextExtensions) gce.get(0).proposal()).extensions();
      checkGroupExtensions(out.tree, ext);
      out.extensions = ext;
    }
    // 2. Updates.
    for (Entry e : updates) {
      Sender s = e.sender();
      if (s.senderType() != SenderType.MEMBER) {
        throw new ValidationException("rfc9420-12.1.2.update-sender", "an Update proposal must come from a member");
      }
      int leaf = s.index();
      if (leaf == committer) {
        throw new ValidationException("rfc9420-12.2.committer-update", "the commit covers an Update from the committer");
      }
      if (!touched.add(leaf)) {
        throw new ValidationException("rfc9420-12.2.conflicting-proposals", "several Update/Remove proposals for leaf " + leaf);
      }
      LeafNode current = out.tree.leaf(leaf);
      LeafNode next = ((Proposal.Update) e.proposal()).leafNode();
      if (current == null) {
        throw new ValidationException("rfc9420-12.1.2.update-blank", "Update from blank leaf " + leaf);
      }
      if (next.encryptionKey().equals(current.encryptionKey())) {
        throw new ValidationException("rfc9420-7.3.update-same-key", "the Update keeps the old encryption key");
      }
      LeafValidation.validate(c, services, next, LeafNodeSource.UPDATE, groupId, leaf, out.extensions, out.tree, leaf, -1);
      out.tree.updateLeaf(leaf, next);
      out.updatedLeaves.add(leaf);
    }
    // 3. Removes (and SelfRemoves, which remove their sender).
    for (Entry e : removes) {
      int leaf;
      if (e.proposal() instanceof Proposal.SelfRemove) {
        if (e.sender().senderType() != SenderType.MEMBER || e.ref() == null) {
          throw new ValidationException("draft-mls-extensions.self-remove", "SelfRemove must come from a member, by reference");
        }
        leaf = e.sender().index();
      } else {
        leaf = ((Proposal.Remove) e.proposal()).removed();
      }
      if (!external && leaf == committer) {
        throw new ValidationException("rfc9420-12.2.committer-removed", "the commit removes the committer");
      }
      if (!touched.add(leaf)) {
        throw new ValidationException("rfc9420-12.2.conflicting-proposals", "several Update/Remove proposals for leaf " + leaf);
      }
      if (leaf < 0 || leaf >= out.tree.leafCount() || out.tree.leaf(leaf) == null) {
        throw new ValidationException("rfc9420-12.1.3.remove-blank", "Remove of blank or absent leaf " + Integer.toUnsignedLong(leaf));
      }
      out.tree.removeLeaf(leaf);
      out.removedLeaves.add(leaf);
    }
    // 4. Adds, in order.
    Set<Bytes> addedSignatureKeys = new HashSet<>();
    // Many Adds: their KeyPackage checks (two signatures each) run on the executor; verdicts are taken in order.
    List<java.util.concurrent.Future<?>> checks = null;
    if (services.executor() != null && adds.size() >= PARALLEL_ADDS) {
      checks = new ArrayList<>(adds.size());
      List<Extension> ext = out.extensions;
      for (Entry e : adds) {
        KeyPackage kp = ((Proposal.Add) e.proposal()).keyPackage();
        checks.add(services.executor().submit(() -> {
          KeyPackages.validate(c, services, kp, ext, nowSeconds);
          return null;
        }));
      }
    }
    for (int i = 0; i < adds.size(); i++) {
      Entry e = adds.get(i);
      KeyPackage kp = ((Proposal.Add) e.proposal()).keyPackage();
      if (checks == null) {
        KeyPackages.validate(c, services, kp, out.extensions, nowSeconds);
      } else {
        verdict(checks, i);
      }
      LeafNode leaf = kp.leafNode();
      if (!addedSignatureKeys.add(leaf.signatureKey())) {
        throw new ValidationException("rfc9420-12.2.duplicate-add", "two Adds for the same client");
      }
      if (out.tree.leafWithSignatureKey(leaf.signatureKey()) >= 0) {
        throw new ValidationException("rfc9420-12.2.add-existing-member", "an Add for a client already in the group");
      }
      if (out.tree.nodeWithEncryptionKey(leaf.encryptionKey()) >= 0) {
        throw new ValidationException("rfc9420-7.3.duplicate-encryption-key", "an added leaf reuses an encryption key in the tree");
      }
      int l = out.tree.addLeaf(leaf);
      out.addedLeaves.add(l);
      out.addedKeyPackages.add(kp);
    }
    return out;
  }

  /** From this many Adds in one commit, their KeyPackages are checked in parallel (when an executor is given). */
  static final int PARALLEL_ADDS = 16;

  /** The outcome of check {@code i}; on failure the remaining checks are cancelled. */
  private static void verdict(List<java.util.concurrent.Future<?>> checks, int i) throws ValidationException {
    try {
      checks.get(i).get();
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      checks.forEach(f -> f.cancel(true));
      throw new ValidationException("jmls.interrupted", "interrupted while checking KeyPackages");
    } catch (java.util.concurrent.ExecutionException e) {
      checks.forEach(f -> f.cancel(true));
      if (e.getCause() instanceof ValidationException v) {
        throw v;
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * §8.4 and §12.1.4: the nonce is Nh bytes, and resumption PSKs have usage application, except in
   * the initial commit of a group created by ReInit or branching (§11.2, §11.3).
   */
  private static void checkPsk(MlsCrypto c, PreSharedKeyId id, boolean initialCommit) throws ValidationException {
    if (id.pskNonce().length() != c.hashLength()) {
      throw new ValidationException("rfc9420-8.4.psk-nonce", "psk_nonce must be Nh bytes");
    }
    if (id.pskType() == PskType.RESUMPTION && id.usage() != ResumptionPskUsage.APPLICATION && !initialCommit) {
      throw new ValidationException("rfc9420-12.1.4.psk-usage", "a PreSharedKey proposal with resumption usage reinit or branch");
    }
  }

  private static void checkUnknownSupported(RatchetTree tree, int type) throws ValidationException {
    for (int l = 0; l < tree.leafCount(); l++) {
      LeafNode leaf = tree.leaf(l);
      if (leaf != null && !leaf.capabilities().proposals().contains(type)) {
        throw new ValidationException("rfc9420-12.2.unsupported-proposal", "leaf " + l + " does not support proposal type " + type);
      }
    }
  }

  /** Every member must support the new extensions and meet new required capabilities (§12.1.7). */
  static void checkGroupExtensions(RatchetTree tree, List<Extension> ext) throws ValidationException {
    Set<Integer> types = new HashSet<>();
    for (Extension e : ext) {
      if (!types.add(e.extensionType())) {
        throw new ValidationException("rfc9420-13.4.duplicate-extension", "extension " + e.extensionType() + " appears twice");
      }
    }
    if (Extension.find(ext, Extension.REQUIRED_CAPABILITIES) != null) {
      try {
        RequiredCapabilities.from(Extension.find(ext, Extension.REQUIRED_CAPABILITIES));
      } catch (DecodeException e) {
        throw new ValidationException("rfc9420-11.1.required-capabilities", "required_capabilities does not decode");
      }
    }
    for (int l = 0; l < tree.leafCount(); l++) {
      LeafNode leaf = tree.leaf(l);
      if (leaf == null) {
        continue;
      }
      for (Extension e : ext) {
        if (!LeafValidation.isDefaultExtension(e.extensionType()) && !leaf.capabilities().extensions().contains(e.extensionType())) {
          throw new ValidationException("rfc9420-12.1.7.unsupported-extension",
              "leaf " + l + " does not support group extension " + e.extensionType());
        }
      }
      LeafValidation.checkRequiredCapabilities(leaf, ext);
    }
  }
}
