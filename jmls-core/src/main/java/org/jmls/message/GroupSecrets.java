package org.jmls.message;

import java.util.List;
import java.util.Objects;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * GroupSecrets (RFC 9420 §12.4.3.1): the plaintext of an EncryptedGroupSecrets. Holds secret
 * values, so {@link #toString()} never prints them. {@code pathSecret} is the optional PathSecret
 * ({@code struct { opaque path_secret<V>; }}), null when absent.
 */
public record GroupSecrets(Bytes joinerSecret, Bytes pathSecret, List<PreSharedKeyId> psks)
    implements TlsEncodable {

  public GroupSecrets {
    Objects.requireNonNull(joinerSecret, "joinerSecret");
    psks = List.copyOf(psks);
  }

  public static GroupSecrets decode(TlsReader r) throws DecodeException {
    return new GroupSecrets(r.opaque(), r.optional(TlsReader::opaque), r.vector(PreSharedKeyId::decode));
  }

  @Override
  public void encode(TlsWriter w) {
    w.opaque(joinerSecret);
    if (pathSecret == null) {
      w.u8(0);
    } else {
      w.u8(1).opaque(pathSecret);
    }
    w.vector(psks);
  }

  @Override
  public String toString() {
    return "GroupSecrets[joiner_secret=<redacted>, path_secret="
        + (pathSecret == null ? "none" : "<redacted>")
        + ", psks="
        + psks
        + "]";
  }
}
