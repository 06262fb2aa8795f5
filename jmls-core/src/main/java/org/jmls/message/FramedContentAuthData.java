package org.jmls.message;

import java.util.Objects;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * FramedContentAuthData (RFC 9420 §6.1): the signature, plus the confirmation tag when the content
 * is a commit (null otherwise). Its encoding depends on the content type, so it is not a
 * self-describing {@code TlsEncodable}.
 */
public record FramedContentAuthData(Bytes signature, Bytes confirmationTag) {
  public FramedContentAuthData {
    Objects.requireNonNull(signature, "signature");
  }

  public static FramedContentAuthData decode(TlsReader r, ContentType type) throws DecodeException {
    Bytes signature = r.opaque();
    return new FramedContentAuthData(signature, type == ContentType.COMMIT ? r.opaque() : null);
  }

  public void encode(TlsWriter w, ContentType type) {
    w.opaque(signature);
    if (type == ContentType.COMMIT) {
      w.opaque(Objects.requireNonNull(confirmationTag, "a commit needs a confirmation tag"));
    }
  }
}
