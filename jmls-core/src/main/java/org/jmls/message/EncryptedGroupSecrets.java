package org.jmls.message;

import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** {@code struct { KeyPackageRef new_member; HPKECiphertext encrypted_group_secrets; }} (RFC 9420 §12.4.3.1). */
public record EncryptedGroupSecrets(Bytes newMember, HpkeCiphertext encryptedGroupSecrets)
    implements TlsEncodable {
  public static EncryptedGroupSecrets decode(TlsReader r) throws DecodeException {
    return new EncryptedGroupSecrets(r.opaque(), HpkeCiphertext.decode(r));
  }

  @Override
  public void encode(TlsWriter w) {
    w.opaque(newMember);
    encryptedGroupSecrets.encode(w);
  }
}
