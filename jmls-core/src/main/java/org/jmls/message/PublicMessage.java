package org.jmls.message;

import java.util.Objects;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * PublicMessage (RFC 9420 §6.2): content, auth data, and a membership tag exactly when the sender
 * is a member.
 */
public record PublicMessage(FramedContent content, FramedContentAuthData auth, Bytes membershipTag)
    implements TlsEncodable, MlsMessage.Body {

  public PublicMessage {
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(auth, "auth");
    if ((content.sender().senderType() == SenderType.MEMBER) != (membershipTag != null)) {
      throw new IllegalArgumentException("membership_tag present iff the sender is a member");
    }
  }

  @Override
  public WireFormat wireFormat() {
    return WireFormat.MLS_PUBLIC_MESSAGE;
  }

  public static PublicMessage decode(TlsReader r) throws DecodeException {
    FramedContent content = FramedContent.decode(r);
    FramedContentAuthData auth = FramedContentAuthData.decode(r, content.contentType());
    Bytes tag = content.sender().senderType() == SenderType.MEMBER ? r.opaque() : null;
    return new PublicMessage(content, auth, tag);
  }

  @Override
  public void encode(TlsWriter w) {
    content.encode(w);
    auth.encode(w, content.contentType());
    if (membershipTag != null) {
      w.opaque(membershipTag);
    }
  }

  /** The AuthenticatedContent this message carries (§6.1). */
  public AuthenticatedContent authenticatedContent() {
    return new AuthenticatedContent(WireFormat.MLS_PUBLIC_MESSAGE, content, auth);
  }
}
