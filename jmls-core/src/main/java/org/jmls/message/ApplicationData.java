package org.jmls.message;

import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** {@code opaque application_data<V>} as the content of a FramedContent (RFC 9420 §6). */
public record ApplicationData(Bytes data) implements Content {
  @Override
  public ContentType contentType() {
    return ContentType.APPLICATION;
  }

  public static ApplicationData decode(TlsReader r) throws DecodeException {
    return new ApplicationData(r.opaque());
  }

  @Override
  public void encode(TlsWriter w) {
    w.opaque(data);
  }

  @Override
  public String toString() {
    return "ApplicationData[" + data.length() + " bytes]";
  }
}
