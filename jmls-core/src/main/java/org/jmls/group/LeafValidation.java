package org.jmls.group;

import java.util.List;
import java.util.Set;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.crypto.MlsCrypto;
import org.jmls.extension.RequiredCapabilities;
import org.jmls.message.Extension;
import org.jmls.message.LeafNode;
import org.jmls.message.LeafNodeSource;
import org.jmls.message.UpdatePath;
import org.jmls.message.UpdatePathNode;
import org.jmls.tree.RatchetTree;

/** LeafNode validation (RFC 9420 §7.3), each failure with its rule id. */
final class LeafValidation {
  private LeafValidation() {}

  /** Extension types every client supports without listing them (RFC 9420 §7.2). */
  static boolean isDefaultExtension(int type) {
    return type >= Extension.APPLICATION_ID && type <= Extension.EXTERNAL_SENDERS;
  }

  /** Proposal types of RFC 9420 itself, which need no capability. */
  static boolean isDefaultProposal(int type) {
    return type >= 1 && type <= 7;
  }

  /**
   * Validates {@code leaf} for a group with {@code extensions} and {@code tree}: signature (with
   * {@code groupId}/{@code leafIndex} for update and commit sources), source, required
   * capabilities, credential support, extension support, lifetime (when {@code nowSeconds} >= 0),
   * key uniqueness (ignoring the leaf at {@code replacing}, -1 for none), and the credential.
   */
  static void validate(
      MlsCrypto c, GroupServices services, LeafNode leaf, LeafNodeSource expectedSource, Bytes groupId, int leafIndex,
      List<Extension> groupExtensions, RatchetTree tree, int replacing, long nowSeconds) throws ValidationException {
    if (leaf.leafNodeSource() != expectedSource) {
      throw new ValidationException("rfc9420-7.3.leaf-node-source",
          "leaf_node_source is " + leaf.leafNodeSource() + ", expected " + expectedSource);
    }
    if (!c.verifyWithLabel(leaf.signatureKey(), "LeafNodeTBS", leaf.toBeSigned(groupId, leafIndex), leaf.signature())) {
      throw c.signatureRefusal(leaf.signatureKey(), "the leaf's signature_key", "rfc9420-7.3.leaf-signature",
          "the LeafNode signature does not verify");
    }
    c.checkHpkeKey(leaf.encryptionKey(), "the leaf's encryption_key");
    checkRequiredCapabilities(leaf, groupExtensions);
    for (Extension e : leaf.extensions()) {
      if (!isDefaultExtension(e.extensionType()) && !leaf.capabilities().extensions().contains(e.extensionType())) {
        throw new ValidationException("rfc9420-7.3.extension-support",
            "the leaf carries extension " + e.extensionType() + " that its capabilities do not list");
      }
    }
    if (!leaf.capabilities().credentials().contains(leaf.credential().credentialType())) {
      throw new ValidationException("rfc9420-7.3.credential-support", "the leaf does not list its own credential type");
    }
    if (nowSeconds >= 0 && leaf.lifetime() != null && !leaf.lifetime().contains(nowSeconds)) {
      throw new ValidationException("rfc9420-7.3.lifetime", "the leaf's lifetime does not include the current time");
    }
    if (tree != null) {
      int sig = tree.leafWithSignatureKey(leaf.signatureKey());
      if (sig >= 0 && sig != replacing) {
        throw new ValidationException("rfc9420-7.3.duplicate-signature-key", "signature key already used by leaf " + sig);
      }
      int enc = tree.nodeWithEncryptionKey(leaf.encryptionKey());
      if (enc >= 0 && enc != 2 * replacing) {
        throw new ValidationException("rfc9420-7.3.duplicate-encryption-key", "encryption key already used by node " + enc);
      }
    }
    services.credentials().validate(leaf.credential(), leaf.signatureKey());
  }

  /**
   * The parent-node keys of an UpdatePath (§12.4.2): each a valid HPKE key of the suite, none
   * already in {@code tree} (the tree before the path is merged).
   */
  static void checkPathKeys(MlsCrypto c, UpdatePath path, RatchetTree tree) throws ValidationException {
    for (UpdatePathNode n : path.nodes()) {
      c.checkHpkeKey(n.encryptionKey(), "an UpdatePath node's encryption_key");
      if (tree.nodeWithEncryptionKey(n.encryptionKey()) >= 0) {
        throw new ValidationException("rfc9420-12.4.2.path-key-reused", "an UpdatePath key already appears in the tree");
      }
    }
  }

  static void checkRequiredCapabilities(LeafNode leaf, List<Extension> groupExtensions) throws ValidationException {
    Extension rc = Extension.find(groupExtensions, Extension.REQUIRED_CAPABILITIES);
    if (rc == null) {
      return;
    }
    RequiredCapabilities req;
    try {
      req = RequiredCapabilities.from(rc);
    } catch (DecodeException e) {
      throw new ValidationException("rfc9420-11.1.required-capabilities", "required_capabilities does not decode");
    }
    for (int t : req.extensionTypes()) {
      if (!isDefaultExtension(t) && !leaf.capabilities().extensions().contains(t)) {
        throw new ValidationException("rfc9420-7.3.required-capabilities", "the leaf does not support required extension " + t);
      }
    }
    for (int t : req.proposalTypes()) {
      if (!isDefaultProposal(t) && !leaf.capabilities().proposals().contains(t)) {
        throw new ValidationException("rfc9420-7.3.required-capabilities", "the leaf does not support required proposal " + t);
      }
    }
    for (int t : req.credentialTypes()) {
      if (!leaf.capabilities().credentials().contains(t)) {
        throw new ValidationException("rfc9420-7.3.required-capabilities", "the leaf does not support required credential " + t);
      }
    }
  }

  /**
   * The credential-type rule of §7.3 over a whole tree: every credential type in use is supported
   * by every member. O(n) once per tree, not per leaf.
   */
  static void checkCredentialTypes(RatchetTree tree) throws ValidationException {
    checkCredentialTypes(null, tree, null, -1);
  }

  /**
   * The same rule after a commit turned {@code before} (which met it) into {@code after}: when no
   * credential type came into use, only the leaves the commit added or replaced (and the
   * committer's) can break it, so only they are checked; otherwise the whole tree is.
   */
  static void checkCredentialTypes(RatchetTree before, RatchetTree after, ProposalList.Applied applied, int committer)
      throws ValidationException {
    Set<Integer> inUse = after.credentialTypesInUse();
    if (before != null && before.credentialTypesInUse().containsAll(inUse)) {
      List<Integer> changed = new java.util.ArrayList<>(applied.addedLeaves);
      changed.addAll(applied.updatedLeaves);
      if (committer >= 0) {
        changed.add(committer);
      }
      for (int l : changed) {
        supportsAll(after, l, inUse);
      }
      return;
    }
    for (int l = 0; l < after.leafCount(); l++) {
      supportsAll(after, l, inUse);
    }
  }

  private static void supportsAll(RatchetTree tree, int l, Set<Integer> inUse) throws ValidationException {
    LeafNode leaf = tree.leaf(l);
    if (leaf != null && !leaf.capabilities().credentials().containsAll(inUse)) {
      throw new ValidationException("rfc9420-7.3.credential-support",
          "leaf " + l + " does not support every credential type in use " + inUse);
    }
  }

}
