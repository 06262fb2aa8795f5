package org.jmls.message;

import java.util.List;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * A Proposal (RFC 9420 §12.1): {@code struct { ProposalType proposal_type; select ... }}. Each
 * variant's {@link #encodeBody} writes the body alone; {@link #encode} writes type and body. A type
 * this library does not know is carried as {@link Unknown} with an {@code opaque data<V>} body.
 */
public sealed interface Proposal extends Content {
  int ADD = 0x0001;
  int UPDATE = 0x0002;
  int REMOVE = 0x0003;
  int PSK = 0x0004;
  int REINIT = 0x0005;
  int EXTERNAL_INIT = 0x0006;
  int GROUP_CONTEXT_EXTENSIONS = 0x0007;
  /** self_remove, draft-ietf-mls-extensions (suggested value 0x000a). */
  int SELF_REMOVE = 0x000a;

  int proposalType();

  void encodeBody(TlsWriter w);

  @Override
  default ContentType contentType() {
    return ContentType.PROPOSAL;
  }

  @Override
  default void encode(TlsWriter w) {
    w.u16(proposalType());
    encodeBody(w);
  }

  /** {@code struct { KeyPackage key_package; } Add}. */
  record Add(KeyPackage keyPackage) implements Proposal {
    @Override
    public int proposalType() {
      return ADD;
    }

    @Override
    public void encodeBody(TlsWriter w) {
      keyPackage.encode(w);
    }
  }

  /** {@code struct { LeafNode leaf_node; } Update}. */
  record Update(LeafNode leafNode) implements Proposal {
    @Override
    public int proposalType() {
      return UPDATE;
    }

    @Override
    public void encodeBody(TlsWriter w) {
      leafNode.encode(w);
    }
  }

  /** {@code struct { uint32 removed; } Remove}: a leaf index. */
  record Remove(int removed) implements Proposal {
    @Override
    public int proposalType() {
      return REMOVE;
    }

    @Override
    public void encodeBody(TlsWriter w) {
      w.u32(removed);
    }
  }

  /** {@code struct { PreSharedKeyID psk; } PreSharedKey}. */
  record PreSharedKey(PreSharedKeyId psk) implements Proposal {
    @Override
    public int proposalType() {
      return PSK;
    }

    @Override
    public void encodeBody(TlsWriter w) {
      psk.encode(w);
    }
  }

  /** ReInit: group_id, version, cipher_suite, extensions. */
  record ReInit(Bytes groupId, int version, int cipherSuite, List<Extension> extensions)
      implements Proposal {
    public ReInit {
      extensions = List.copyOf(extensions);
    }

    @Override
    public int proposalType() {
      return REINIT;
    }

    @Override
    public void encodeBody(TlsWriter w) {
      w.opaque(groupId).u16(version).u16(cipherSuite).vector(extensions);
    }
  }

  /** {@code struct { opaque kem_output<V>; } ExternalInit}. */
  record ExternalInit(Bytes kemOutput) implements Proposal {
    @Override
    public int proposalType() {
      return EXTERNAL_INIT;
    }

    @Override
    public void encodeBody(TlsWriter w) {
      w.opaque(kemOutput);
    }
  }

  /** {@code struct { Extension extensions<V>; } GroupContextExtensions}. */
  record GroupContextExtensions(List<Extension> extensions) implements Proposal {
    public GroupContextExtensions {
      extensions = List.copyOf(extensions);
    }

    @Override
    public int proposalType() {
      return GROUP_CONTEXT_EXTENSIONS;
    }

    @Override
    public void encodeBody(TlsWriter w) {
      w.vector(extensions);
    }
  }

  /** {@code struct {} SelfRemove} (draft-ietf-mls-extensions). */
  record SelfRemove() implements Proposal {
    @Override
    public int proposalType() {
      return SELF_REMOVE;
    }

    @Override
    public void encodeBody(TlsWriter w) {}
  }

  /** A proposal type this library does not implement, with its body as {@code opaque<V>}. */
  record Unknown(int proposalType, Bytes data) implements Proposal {
    @Override
    public void encodeBody(TlsWriter w) {
      w.opaque(data);
    }
  }

  static Proposal decode(TlsReader r) throws DecodeException {
    return decodeBody(r.u16(), r);
  }

  /** Reads the body of a proposal of {@code type} (the type itself already read). */
  static Proposal decodeBody(int type, TlsReader r) throws DecodeException {
    switch (type) {
      case ADD:
        return new Add(KeyPackage.decode(r));
      case UPDATE:
        return new Update(LeafNode.decode(r));
      case REMOVE:
        return new Remove(r.u32());
      case PSK:
        return new PreSharedKey(PreSharedKeyId.decode(r));
      case REINIT:
        return new ReInit(r.opaque(), r.u16(), r.u16(), Extension.decodeList(r));
      case EXTERNAL_INIT:
        return new ExternalInit(r.opaque());
      case GROUP_CONTEXT_EXTENSIONS:
        return new GroupContextExtensions(Extension.decodeList(r));
      case SELF_REMOVE:
        return new SelfRemove();
      default:
        return new Unknown(type, r.opaque());
    }
  }
}
