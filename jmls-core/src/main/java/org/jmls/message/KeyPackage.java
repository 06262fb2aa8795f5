package org.jmls.message;

import java.util.List;
import java.util.Objects;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** KeyPackage (RFC 9420 §10). */
public record KeyPackage(
    int version,
    int cipherSuite,
    Bytes initKey,
    LeafNode leafNode,
    List<Extension> extensions,
    Bytes signature)
    implements TlsEncodable, MlsMessage.Body {

  public KeyPackage {
    Objects.requireNonNull(initKey, "initKey");
    Objects.requireNonNull(leafNode, "leafNode");
    extensions = List.copyOf(extensions);
    Objects.requireNonNull(signature, "signature");
  }

  @Override
  public WireFormat wireFormat() {
    return WireFormat.MLS_KEY_PACKAGE;
  }

  public static KeyPackage decode(TlsReader r) throws DecodeException {
    return new KeyPackage(
        r.u16(), r.u16(), r.opaque(), LeafNode.decode(r), Extension.decodeList(r), r.opaque());
  }

  @Override
  public void encode(TlsWriter w) {
    encodeContent(w);
    w.opaque(signature);
  }

  private void encodeContent(TlsWriter w) {
    w.u16(version).u16(cipherSuite).opaque(initKey);
    leafNode.encode(w);
    w.vector(extensions);
  }

  /** KeyPackageTBS (§10): everything but the signature. */
  public byte[] toBeSigned() {
    TlsWriter w = new TlsWriter();
    encodeContent(w);
    return w.toByteArray();
  }
}
