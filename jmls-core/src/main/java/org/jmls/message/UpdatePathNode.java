package org.jmls.message;

import java.util.List;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** UpdatePathNode (RFC 9420 §7.6): a new public key and the path secret encrypted to the copath resolution. */
public record UpdatePathNode(Bytes encryptionKey, List<HpkeCiphertext> encryptedPathSecret)
    implements TlsEncodable {
  public UpdatePathNode {
    encryptedPathSecret = List.copyOf(encryptedPathSecret);
  }

  public static UpdatePathNode decode(TlsReader r) throws DecodeException {
    return new UpdatePathNode(r.opaque(), r.vector(HpkeCiphertext::decode));
  }

  @Override
  public void encode(TlsWriter w) {
    w.opaque(encryptionKey).vector(encryptedPathSecret);
  }
}
