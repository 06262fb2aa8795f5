package org.jmls.message;

import java.util.List;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * A node of the ratchet tree: {@link LeafNode} or {@link ParentNode}. On the wire (RFC 9420 §12.4.3.3)
 * a node is {@code struct { NodeType node_type; select ... } Node}; {@link #encode} of the node
 * itself writes only the body, {@link #write} writes the typed form.
 */
public sealed interface Node extends TlsEncodable permits LeafNode, ParentNode {
  NodeType nodeType();

  /** Writes {@code struct Node}: node type, then body. */
  static void write(TlsWriter w, Node node) {
    node.nodeType().encode(w);
    node.encode(w);
  }

  /** Reads {@code struct Node}. */
  static Node read(TlsReader r) throws DecodeException {
    NodeType type = NodeType.decode(r);
    return type == NodeType.LEAF ? LeafNode.decode(r) : ParentNode.decode(r);
  }

  /**
   * Reads {@code optional<Node> ratchet_tree<V>} (§12.4.3.3): the list holds null for blank nodes.
   */
  static List<Node> readTree(TlsReader r) throws DecodeException {
    return r.vector(Node::readOptional);
  }

  private static Node readOptional(TlsReader r) throws DecodeException {
    return r.optional(Node::read);
  }

  /** Writes {@code optional<Node> ratchet_tree<V>}; null entries are blank nodes. */
  static void writeTree(TlsWriter w, List<Node> nodes) {
    int start = w.beginVector();
    for (Node n : nodes) {
      if (n == null) {
        w.u8(0);
      } else {
        w.u8(1);
        write(w, n);
      }
    }
    w.endVector(start);
  }
}
