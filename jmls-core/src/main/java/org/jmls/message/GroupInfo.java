package org.jmls.message;

import java.util.List;
import java.util.Objects;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** GroupInfo (RFC 9420 §12.4.3). {@code signer} is a leaf index. */
public record GroupInfo(
    GroupContext groupContext,
    List<Extension> extensions,
    Bytes confirmationTag,
    int signer,
    Bytes signature)
    implements TlsEncodable, MlsMessage.Body {

  public GroupInfo {
    Objects.requireNonNull(groupContext, "groupContext");
    extensions = List.copyOf(extensions);
    Objects.requireNonNull(confirmationTag, "confirmationTag");
    Objects.requireNonNull(signature, "signature");
  }

  @Override
  public WireFormat wireFormat() {
    return WireFormat.MLS_GROUP_INFO;
  }

  public static GroupInfo decode(TlsReader r) throws DecodeException {
    return new GroupInfo(
        GroupContext.decode(r), Extension.decodeList(r), r.opaque(), r.u32(), r.opaque());
  }

  @Override
  public void encode(TlsWriter w) {
    encodeContent(w);
    w.opaque(signature);
  }

  private void encodeContent(TlsWriter w) {
    groupContext.encode(w);
    w.vector(extensions).opaque(confirmationTag).u32(signer);
  }

  /** GroupInfoTBS (§12.4.3): everything but the signature. */
  public byte[] toBeSigned() {
    TlsWriter w = new TlsWriter();
    encodeContent(w);
    return w.toByteArray();
  }
}
