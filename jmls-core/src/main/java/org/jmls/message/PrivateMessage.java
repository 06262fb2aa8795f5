package org.jmls.message;

import java.util.Objects;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** PrivateMessage (RFC 9420 §6.3). */
public record PrivateMessage(
    Bytes groupId,
    long epoch,
    ContentType contentType,
    Bytes authenticatedData,
    Bytes encryptedSenderData,
    Bytes ciphertext)
    implements TlsEncodable, MlsMessage.Body {

  public PrivateMessage {
    Objects.requireNonNull(groupId, "groupId");
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(authenticatedData, "authenticatedData");
    Objects.requireNonNull(encryptedSenderData, "encryptedSenderData");
    Objects.requireNonNull(ciphertext, "ciphertext");
  }

  @Override
  public WireFormat wireFormat() {
    return WireFormat.MLS_PRIVATE_MESSAGE;
  }

  public static PrivateMessage decode(TlsReader r) throws DecodeException {
    return new PrivateMessage(
        r.opaque(), r.u64(), ContentType.decode(r), r.opaque(), r.opaque(), r.opaque());
  }

  @Override
  public void encode(TlsWriter w) {
    w.opaque(groupId).u64(epoch);
    contentType.encode(w);
    w.opaque(authenticatedData).opaque(encryptedSenderData).opaque(ciphertext);
  }

  /** PrivateContentAAD (§6.3.1): the AAD of the content encryption. */
  public byte[] contentAad() {
    TlsWriter w = new TlsWriter();
    w.opaque(groupId).u64(epoch);
    contentType.encode(w);
    w.opaque(authenticatedData);
    return w.toByteArray();
  }

  /** SenderDataAAD (§6.3.2): the AAD of the sender-data encryption. */
  public byte[] senderDataAad() {
    TlsWriter w = new TlsWriter();
    w.opaque(groupId).u64(epoch);
    contentType.encode(w);
    return w.toByteArray();
  }
}
