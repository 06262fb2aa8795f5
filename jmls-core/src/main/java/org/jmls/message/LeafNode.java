package org.jmls.message;

import java.util.List;
import java.util.Objects;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * LeafNode (RFC 9420 §7.2). Exactly one of {@link #lifetime()} (source key_package) and {@link
 * #parentHash()} (source commit) is set; both are null for source update.
 */
public record LeafNode(
    Bytes encryptionKey,
    Bytes signatureKey,
    Credential credential,
    Capabilities capabilities,
    LeafNodeSource leafNodeSource,
    Lifetime lifetime,
    Bytes parentHash,
    List<Extension> extensions,
    Bytes signature)
    implements Node {

  public LeafNode {
    Objects.requireNonNull(encryptionKey, "encryptionKey");
    Objects.requireNonNull(signatureKey, "signatureKey");
    Objects.requireNonNull(credential, "credential");
    Objects.requireNonNull(capabilities, "capabilities");
    Objects.requireNonNull(leafNodeSource, "leafNodeSource");
    if ((leafNodeSource == LeafNodeSource.KEY_PACKAGE) != (lifetime != null)) {
      throw new IllegalArgumentException("lifetime present iff leaf_node_source is key_package");
    }
    if ((leafNodeSource == LeafNodeSource.COMMIT) != (parentHash != null)) {
      throw new IllegalArgumentException("parent_hash present iff leaf_node_source is commit");
    }
    extensions = List.copyOf(extensions);
    Objects.requireNonNull(signature, "signature");
  }

  @Override
  public NodeType nodeType() {
    return NodeType.LEAF;
  }

  public static LeafNode decode(TlsReader r) throws DecodeException {
    Bytes encryptionKey = r.opaque();
    Bytes signatureKey = r.opaque();
    Credential credential = Credential.decode(r);
    Capabilities capabilities = Capabilities.decode(r);
    LeafNodeSource source = LeafNodeSource.decode(r);
    Lifetime lifetime = source == LeafNodeSource.KEY_PACKAGE ? Lifetime.decode(r) : null;
    Bytes parentHash = source == LeafNodeSource.COMMIT ? r.opaque() : null;
    List<Extension> extensions = Extension.decodeList(r);
    Bytes signature = r.opaque();
    return new LeafNode(
        encryptionKey, signatureKey, credential, capabilities, source, lifetime, parentHash,
        extensions, signature);
  }

  @Override
  public void encode(TlsWriter w) {
    encodeContent(w);
    w.opaque(signature);
  }

  private void encodeContent(TlsWriter w) {
    w.opaque(encryptionKey).opaque(signatureKey);
    credential.encode(w);
    capabilities.encode(w);
    leafNodeSource.encode(w);
    if (lifetime != null) {
      lifetime.encode(w);
    }
    if (parentHash != null) {
      w.opaque(parentHash);
    }
    w.vector(extensions);
  }

  /**
   * LeafNodeTBS (§7.2): the content without the signature, followed by group_id and leaf_index
   * when the source is update or commit ({@code groupId} and {@code leafIndex} are ignored for
   * key_package).
   */
  public byte[] toBeSigned(Bytes groupId, int leafIndex) {
    TlsWriter w = new TlsWriter();
    encodeContent(w);
    if (leafNodeSource != LeafNodeSource.KEY_PACKAGE) {
      w.opaque(groupId).u32(leafIndex);
    }
    return w.toByteArray();
  }

  /** A copy carrying {@code newSignature}. */
  public LeafNode withSignature(Bytes newSignature) {
    return new LeafNode(
        encryptionKey, signatureKey, credential, capabilities, leafNodeSource, lifetime, parentHash,
        extensions, newSignature);
  }
}
