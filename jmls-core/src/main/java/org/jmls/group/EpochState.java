package org.jmls.group;

import java.util.List;
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
    writeTo(w, null, true);
  }

  /**
   * Writes this state; with {@code base} (a neighbouring epoch's tree, written just before), the
   * tree is written as its differences from {@code base} (see {@link #writeTree}). Without
   * {@code withTree} the tree is left out (stored apart, see {@link Group#saveTrees()}).
   */
  void writeTo(org.jmls.codec.TlsWriter w, RatchetTree base, boolean withTree) {
    context.encode(w);
    if (withTree) {
      writeTree(w, tree, base);
    }
    w.opaque(interimTranscriptHash);
    secrets.writeTo(w);
    secretTree.writeTo(w);
    keys.writeTo(w);
    w.u32(myLeaf);
  }

  /**
   * Writes {@code tree}: whole when {@code base} is null, else as its differences from {@code base}:
   * a node count, then (index, node) for every node that differs. Epochs differ in O(log n) nodes,
   * so past epochs cost little.
   */
  static void writeTree(org.jmls.codec.TlsWriter w, RatchetTree tree, RatchetTree base) {
    List<Node> nodes = tree.toNodes();
    if (base == null) {
      Node.writeTree(w, nodes);
      return;
    }
    List<Node> from = base.toNodes();
    w.u32(nodes.size());
    int start = w.beginVector();
    for (int x = 0; x < nodes.size(); x++) {
      Node n = nodes.get(x);
      if (!java.util.Objects.equals(n, x < from.size() ? from.get(x) : null)) {
        w.u32(x).u8(n == null ? 0 : 1);
        if (n != null) {
          Node.write(w, n);
        }
      }
    }
    w.endVector(start);
  }

  /** Reads a tree written by {@link #writeTree}; {@code diff}: written against {@code similar}, with which it shares storage. */
  static RatchetTree readTree(MlsCrypto c, org.jmls.codec.TlsReader r, RatchetTree similar, boolean diff)
      throws org.jmls.codec.DecodeException, org.jmls.ValidationException {
    List<Node> nodes;
    if (!diff) {
      nodes = Node.readTree(r);
    } else {
      long size = r.u32() & 0xFFFFFFFFL;
      List<Integer> at = new java.util.ArrayList<>();
      List<Node> changed = new java.util.ArrayList<>();
      r.vector(x -> {
        int index = x.u32();
        if (index < 0 || index >= size || (!at.isEmpty() && index <= at.get(at.size() - 1))) {
          throw x.error("tree difference out of order or out of range");
        }
        at.add(index);
        changed.add(x.optional(Node::read));
        return Boolean.TRUE;
      });
      List<Node> from = similar.toNodes();
      // No list larger than the base tree or the last changed node: a corrupt count cannot make us allocate.
      if (size > Math.max(from.size(), at.isEmpty() ? 0 : at.get(at.size() - 1) + 1)) {
        throw r.error("tree difference names " + size + " nodes");
      }
      nodes = new java.util.ArrayList<>(from.subList(0, (int) Math.min(size, from.size())));
      while (nodes.size() < size) {
        nodes.add(null);
      }
      for (int i = 0; i < at.size(); i++) {
        nodes.set(at.get(i), changed.get(i));
      }
    }
    return RatchetTree.fromNodes(c, nodes, similar);
  }

  /**
   * Reads a state written by {@link #writeTo}: its tree is {@code given} when the tree was left out,
   * else read (against {@code similar} when {@code diff}, sharing storage with it where equal).
   */
  static EpochState readFrom(MlsCrypto c, GroupConfig config, org.jmls.codec.TlsReader r, RatchetTree similar, boolean diff,
      RatchetTree given) throws org.jmls.codec.DecodeException, org.jmls.ValidationException {
    GroupContext gc = GroupContext.decode(r);
    RatchetTree tree = given != null ? given : readTree(c, r, similar, diff);
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
