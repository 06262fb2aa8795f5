package org.jmls.extension;

import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;
import org.jmls.message.Extension;

/** {@code struct { opaque application_id<V>; } ApplicationId} (RFC 9420 §5.3.3), a LeafNode extension. */
public record ApplicationId(Bytes applicationId) {
  public static ApplicationId from(Extension e) throws DecodeException {
    return new ApplicationId(TlsReader.decode(e.extensionData().unsafeArray(), TlsReader::opaque));
  }

  public Extension toExtension() {
    return new Extension(Extension.APPLICATION_ID, Bytes.wrap(new TlsWriter().opaque(applicationId).toByteArray()));
  }
}
