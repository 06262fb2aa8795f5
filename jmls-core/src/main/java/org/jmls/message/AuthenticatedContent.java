package org.jmls.message;

import java.util.Objects;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** {@code struct { WireFormat wire_format; FramedContent content; FramedContentAuthData auth; }} (RFC 9420 §6.1). */
public record AuthenticatedContent(
    WireFormat wireFormat, FramedContent content, FramedContentAuthData auth)
    implements TlsEncodable {

  public AuthenticatedContent {
    Objects.requireNonNull(wireFormat, "wireFormat");
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(auth, "auth");
  }

  public static AuthenticatedContent decode(TlsReader r) throws DecodeException {
    WireFormat wf = WireFormat.decode(r);
    FramedContent content = FramedContent.decode(r);
    return new AuthenticatedContent(wf, content, FramedContentAuthData.decode(r, content.contentType()));
  }

  @Override
  public void encode(TlsWriter w) {
    wireFormat.encode(w);
    content.encode(w);
    auth.encode(w, content.contentType());
  }

  /**
   * ConfirmedTranscriptHashInput (§8.2): wire_format, content and signature. Only meaningful for
   * commits.
   */
  public byte[] confirmedTranscriptHashInput() {
    TlsWriter w = new TlsWriter();
    wireFormat.encode(w);
    content.encode(w);
    w.opaque(auth.signature());
    return w.toByteArray();
  }
}
