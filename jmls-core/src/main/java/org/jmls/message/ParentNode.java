package org.jmls.message;

import java.util.List;
import java.util.Objects;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * {@code struct { HPKEPublicKey encryption_key; opaque parent_hash<V>; uint32 unmerged_leaves<V>; }
 * ParentNode} (RFC 9420 §7.1). Unmerged leaves are leaf indices.
 */
public record ParentNode(Bytes encryptionKey, Bytes parentHash, List<Integer> unmergedLeaves)
    implements Node {
  public ParentNode {
    Objects.requireNonNull(encryptionKey, "encryptionKey");
    Objects.requireNonNull(parentHash, "parentHash");
    unmergedLeaves = List.copyOf(unmergedLeaves);
  }

  @Override
  public NodeType nodeType() {
    return NodeType.PARENT;
  }

  public static ParentNode decode(TlsReader r) throws DecodeException {
    return new ParentNode(r.opaque(), r.opaque(), r.vector(TlsReader::u32));
  }

  @Override
  public void encode(TlsWriter w) {
    w.opaque(encryptionKey).opaque(parentHash).u32Vector(unmergedLeaves);
  }
}
