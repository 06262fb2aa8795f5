package org.jmls.ds;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;
import org.jmls.message.Node;

/**
 * What an encrypted-handshake commit changed in the ratchet tree, for a DS that cannot read the
 * commit but keeps the tree (issue 14; draft-ietf-mls-ratchet-tree-options leaves the form to the
 * deployment). The committer uploads it with the commit; the DS applies it to the tree it holds and
 * accepts it only if the result has the tree hash of the committer's signed GroupInfo, so a wrong
 * change set is refused, never stored.
 *
 * <pre>
 * struct {
 *   uint32 index;             // node index in the array representation (RFC 9420 Appendix C)
 *   optional&lt;Node&gt; node;      // absent: the node becomes blank
 * } NodeChange;
 *
 * struct {
 *   uint32 node_count;        // the new tree's length (it grows on adds, shrinks when truncated)
 *   NodeChange changes&lt;V&gt;;    // in increasing index order
 * } TreeChanges;
 * </pre>
 *
 * A commit with a path in a populated tree of n members changes about log2(n) nodes (a few KB); a
 * bulk add changes one leaf per new member.
 */
public record TreeChanges(int nodeCount, List<Change> changes) {
  /** One node's new value; {@code node} null for blank. */
  public record Change(int index, Node node) {}

  public TreeChanges {
    changes = Collections.unmodifiableList(new ArrayList<>(changes));
  }

  /** The changes that turn {@code before} into {@code after} (both in array order, null for blank). */
  public static TreeChanges between(List<Node> before, List<Node> after) {
    List<Change> out = new ArrayList<>();
    for (int i = 0; i < after.size(); i++) {
      Node was = i < before.size() ? before.get(i) : null;
      Node now = after.get(i);
      if (!Objects.equals(was, now)) {
        out.add(new Change(i, now));
      }
    }
    return new TreeChanges(after.size(), out);
  }

  /** {@code before} with these changes applied; refused when an index is outside the new tree or not increasing. */
  public List<Node> applyTo(List<Node> before) throws ValidationException {
    if (nodeCount < 1 || nodeCount > (1 << 30)) {
      throw new ValidationException("ds.tree-changes", "a tree of " + nodeCount + " nodes");
    }
    List<Node> out = new ArrayList<>(nodeCount);
    for (int i = 0; i < nodeCount; i++) {
      out.add(i < before.size() ? before.get(i) : null);
    }
    int last = -1;
    for (Change c : changes) {
      if (c.index() <= last || c.index() >= nodeCount) {
        throw new ValidationException("ds.tree-changes", "node index " + c.index() + " is out of order or outside the tree");
      }
      last = c.index();
      out.set(c.index(), c.node());
    }
    return out;
  }

  public byte[] toByteArray() {
    TlsWriter w = new TlsWriter();
    w.u32(nodeCount);
    int start = w.beginVector();
    for (Change c : changes) {
      w.u32(c.index());
      if (c.node() == null) {
        w.u8(0);
      } else {
        w.u8(1);
        Node.write(w, c.node());
      }
    }
    w.endVector(start);
    return w.toByteArray();
  }

  public static TreeChanges fromBytes(byte[] b) throws DecodeException {
    return TlsReader.decode(b, r -> {
      long count = r.u32();
      List<Change> cs = r.vector(v -> new Change((int) v.u32(), v.optional(Node::read)));
      if (count > (1 << 30)) {
        throw new DecodeException(0, "node count " + count);
      }
      return new TreeChanges((int) count, cs);
    }, Integer.MAX_VALUE);
  }
}
