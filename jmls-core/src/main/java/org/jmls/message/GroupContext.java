package org.jmls.message;

import java.util.List;
import java.util.Objects;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** GroupContext (RFC 9420 §8.1). */
public record GroupContext(
    int version,
    int cipherSuite,
    Bytes groupId,
    long epoch,
    Bytes treeHash,
    Bytes confirmedTranscriptHash,
    List<Extension> extensions)
    implements TlsEncodable {

  public GroupContext {
    Objects.requireNonNull(groupId, "groupId");
    Objects.requireNonNull(treeHash, "treeHash");
    Objects.requireNonNull(confirmedTranscriptHash, "confirmedTranscriptHash");
    extensions = List.copyOf(extensions);
  }

  public static GroupContext decode(TlsReader r) throws DecodeException {
    return new GroupContext(
        r.u16(), r.u16(), r.opaque(), r.u64(), r.opaque(), r.opaque(), Extension.decodeList(r));
  }

  @Override
  public void encode(TlsWriter w) {
    w.u16(version)
        .u16(cipherSuite)
        .opaque(groupId)
        .u64(epoch)
        .opaque(treeHash)
        .opaque(confirmedTranscriptHash)
        .vector(extensions);
  }
}
