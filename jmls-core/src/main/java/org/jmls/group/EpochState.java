package org.jmls.group;

import org.jmls.Bytes;
import org.jmls.crypto.MlsCrypto;
import org.jmls.message.Node;
import org.jmls.message.GroupContext;
import org.jmls.schedule.EpochSecrets;
import org.jmls.schedule.SecretTree;
import org.jmls.tree.PathKeys;
import org.jmls.tree.RatchetTree;

/**
 * Everything a member holds for one epoch. Replaced whole when a commit is merged; the previous
 * one is kept (secret tree and resumption PSK only) for late application messages.
 */
final class EpochState {
  final GroupContext context;
  final RatchetTree tree;
  final Bytes interimTranscriptHash;
  final EpochSecrets secrets;
  final SecretTree secretTree;
  final PathKeys keys;
  final int myLeaf;

  EpochState(GroupContext context, RatchetTree tree, Bytes interimTranscriptHash, EpochSecrets secrets,
      SecretTree secretTree, PathKeys keys, int myLeaf) {
    this.context = context;
    this.tree = tree;
    this.interimTranscriptHash = interimTranscriptHash;
    this.secrets = secrets;
    this.secretTree = secretTree;
    this.keys = keys;
    this.myLeaf = myLeaf;
  }

  void writeTo(org.jmls.codec.TlsWriter w) {
    context.encode(w);
    Node.writeTree(w, tree.toNodes());
    w.opaque(interimTranscriptHash);
    secrets.writeTo(w);
    secretTree.writeTo(w);
    keys.writeTo(w);
    w.u32(myLeaf);
  }

  /** Reads a state written by {@link #writeTo}; its tree shares storage with {@code similar} (or null) where equal. */
  static EpochState readFrom(MlsCrypto c, GroupConfig config, org.jmls.codec.TlsReader r, RatchetTree similar)
      throws org.jmls.codec.DecodeException, org.jmls.ValidationException {
    GroupContext gc = GroupContext.decode(r);
    RatchetTree tree = RatchetTree.fromNodes(c, Node.readTree(r), similar);
    Bytes interim = r.opaque();
    EpochSecrets secrets = EpochSecrets.readFrom(c, r);
    SecretTree st = SecretTree.readFrom(c, config.outOfOrder(), r);
    PathKeys keys = PathKeys.readFrom(r);
    return new EpochState(gc, tree, interim, secrets, st, keys, r.u32());
  }

  long epoch() {
    return context.epoch();
  }

  /** Deletes every secret of this epoch (§9.2), once no late message may need it. */
  void destroy() {
    secrets.destroy();
    secretTree.destroy();
    keys.destroy();
  }
}
