package org.jmls.extension;

import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;
import org.jmls.message.Extension;

/** {@code struct { HPKEPublicKey external_pub; } ExternalPub} (RFC 9420 §12.4.3.2), a GroupInfo extension. */
public record ExternalPub(Bytes externalPub) {
  public static ExternalPub from(Extension e) throws DecodeException {
    return new ExternalPub(TlsReader.decode(e.extensionData().unsafeArray(), TlsReader::opaque));
  }

  public Extension toExtension() {
    return new Extension(Extension.EXTERNAL_PUB, Bytes.wrap(new TlsWriter().opaque(externalPub).toByteArray()));
  }
}
