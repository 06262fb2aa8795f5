package org.jmls.message;

import java.util.List;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** {@code struct { LeafNode leaf_node; UpdatePathNode nodes<V>; } UpdatePath} (RFC 9420 §7.6). */
public record UpdatePath(LeafNode leafNode, List<UpdatePathNode> nodes) implements TlsEncodable {
  public UpdatePath {
    nodes = List.copyOf(nodes);
  }

  public static UpdatePath decode(TlsReader r) throws DecodeException {
    return new UpdatePath(LeafNode.decode(r), r.vector(UpdatePathNode::decode));
  }

  @Override
  public void encode(TlsWriter w) {
    leafNode.encode(w);
    w.vector(nodes);
  }
}
