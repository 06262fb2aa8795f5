package org.jmls.extension;

import java.util.List;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;
import org.jmls.message.Credential;
import org.jmls.message.Extension;

/** {@code ExternalSender external_senders<V>} (RFC 9420 §12.1.8.1), a GroupContext extension. */
public record ExternalSenders(List<ExternalSender> senders) {
  /** {@code struct { SignaturePublicKey signature_key; Credential credential; } ExternalSender}. */
  public record ExternalSender(Bytes signatureKey, Credential credential) implements TlsEncodable {
    public static ExternalSender decode(TlsReader r) throws DecodeException {
      return new ExternalSender(r.opaque(), Credential.decode(r));
    }

    @Override
    public void encode(TlsWriter w) {
      w.opaque(signatureKey);
      credential.encode(w);
    }
  }

  public ExternalSenders {
    senders = List.copyOf(senders);
  }

  public static ExternalSenders from(Extension e) throws DecodeException {
    return new ExternalSenders(
        TlsReader.decode(e.extensionData().unsafeArray(), r -> r.vector(ExternalSender::decode)));
  }

  public Extension toExtension() {
    return new Extension(Extension.EXTERNAL_SENDERS, Bytes.wrap(new TlsWriter().vector(senders).toByteArray()));
  }
}
