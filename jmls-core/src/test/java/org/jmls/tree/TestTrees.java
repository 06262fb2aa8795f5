package org.jmls.tree;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.jmls.Bytes;
import org.jmls.crypto.MlsCrypto;
import org.jmls.message.Capabilities;
import org.jmls.message.Credential;
import org.jmls.message.LeafNode;
import org.jmls.message.LeafNodeSource;
import org.jmls.message.Lifetime;
import org.jmls.message.Node;
import org.jmls.message.ParentNode;

/** Synthetic trees with random keys: shape and hashing only, no valid signatures. */
public final class TestTrees {
  private TestTrees() {}

  public static Bytes random(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return Bytes.wrap(b);
  }

  public static LeafNode leaf(Random r, int i) {
    return new LeafNode(random(r, 32), random(r, 32), new Credential.Basic(Bytes.wrap(("member-" + i).getBytes())),
        new Capabilities(List.of(1), List.of(1), List.of(), List.of(), List.of(1)), LeafNodeSource.KEY_PACKAGE,
        new Lifetime(0, -1L), null, List.of(), random(r, 64));
  }

  /** A tree of {@code leaves} members (a power of two) where every parent node is non-blank. */
  public static RatchetTree full(MlsCrypto c, int leaves, long seed) throws Exception {
    Random r = new Random(seed);
    List<Node> nodes = new ArrayList<>();
    for (int x = 0; x < TreeMath.nodeWidth(leaves); x++) {
      nodes.add(TreeMath.isLeaf(x) ? leaf(r, x / 2) : new ParentNode(random(r, 32), Bytes.EMPTY, List.of()));
    }
    return RatchetTree.fromNodes(c, nodes);
  }
}
