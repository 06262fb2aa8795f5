package org.jmls.message;

import java.util.Objects;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * PrivateMessageContent (RFC 9420 §6.3.1): the plaintext of a PrivateMessage's ciphertext, the
 * content and auth data followed by zero padding. Decoding needs the content type from the outer
 * message, and rejects padding that is not all zero.
 */
public record PrivateMessageContent(Content content, FramedContentAuthData auth, int paddingLength) {
  public PrivateMessageContent {
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(auth, "auth");
    if (paddingLength < 0) {
      throw new IllegalArgumentException("negative padding");
    }
  }

  public static PrivateMessageContent decode(TlsReader r, ContentType type) throws DecodeException {
    Content content = FramedContent.decodeContent(type, r);
    FramedContentAuthData auth = FramedContentAuthData.decode(r, type);
    int padding = r.remaining();
    byte[] pad = r.fixed(padding);
    for (byte b : pad) {
      if (b != 0) {
        throw r.error("non-zero padding byte in PrivateMessageContent");
      }
    }
    return new PrivateMessageContent(content, auth, padding);
  }

  public void encode(TlsWriter w) {
    content.encode(w);
    auth.encode(w, content.contentType());
    w.raw(new byte[paddingLength]);
  }

  public byte[] toByteArray() {
    TlsWriter w = new TlsWriter();
    encode(w);
    return w.toByteArray();
  }
}
