package org.jmls.extension;

import java.util.Collections;
import java.util.ArrayList;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;
import org.jmls.message.Extension;
import org.jmls.message.Node;

/**
 * {@code optional<Node> ratchet_tree<V>} (RFC 9420 §12.4.3.3): the tree in array order, null for a
 * blank node. Used as a GroupInfo extension and to hand the tree over out of band.
 */
public record RatchetTree(List<Node> nodes) {
  public RatchetTree {
    nodes = Collections.unmodifiableList(new ArrayList<>(nodes));
  }

  public static RatchetTree decode(TlsReader r) throws DecodeException {
    return new RatchetTree(Node.readTree(r));
  }

  public static RatchetTree fromBytes(byte[] input) throws DecodeException {
    return TlsReader.decode(input, RatchetTree::decode);
  }

  /**
   * As {@link #fromBytes(byte[])} with another size limit than the decoder's default: a tree takes
   * about 260 bytes per member with basic credentials, so groups past about 60,000 members need more
   * than the default 16 MiB.
   */
  public static RatchetTree fromBytes(byte[] input, int maxSize) throws DecodeException {
    return TlsReader.decode(input, RatchetTree::decode, maxSize);
  }

  public static RatchetTree from(Extension e) throws DecodeException {
    return fromBytes(e.extensionData().unsafeArray());
  }

  public byte[] toByteArray() {
    TlsWriter w = new TlsWriter();
    Node.writeTree(w, nodes);
    return w.toByteArray();
  }

  public Extension toExtension() {
    return new Extension(Extension.RATCHET_TREE, Bytes.wrap(toByteArray()));
  }
}
