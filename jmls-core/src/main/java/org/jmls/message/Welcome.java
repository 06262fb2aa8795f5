package org.jmls.message;

import java.util.List;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** Welcome (RFC 9420 §12.4.3.1). */
public record Welcome(int cipherSuite, List<EncryptedGroupSecrets> secrets, Bytes encryptedGroupInfo)
    implements TlsEncodable, MlsMessage.Body {
  public Welcome {
    secrets = List.copyOf(secrets);
  }

  @Override
  public WireFormat wireFormat() {
    return WireFormat.MLS_WELCOME;
  }

  public static Welcome decode(TlsReader r) throws DecodeException {
    return new Welcome(r.u16(), r.vector(EncryptedGroupSecrets::decode), r.opaque());
  }

  @Override
  public void encode(TlsWriter w) {
    w.u16(cipherSuite).vector(secrets).opaque(encryptedGroupInfo);
  }
}
