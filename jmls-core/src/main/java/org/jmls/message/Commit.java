package org.jmls.message;

import java.util.List;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** {@code struct { ProposalOrRef proposals<V>; optional<UpdatePath> path; } Commit} (RFC 9420 §12.4). */
public record Commit(List<ProposalOrRef> proposals, UpdatePath path) implements Content {
  public Commit {
    proposals = List.copyOf(proposals);
  }

  @Override
  public ContentType contentType() {
    return ContentType.COMMIT;
  }

  public static Commit decode(TlsReader r) throws DecodeException {
    return new Commit(r.vector(ProposalOrRef::decode), r.optional(UpdatePath::decode));
  }

  @Override
  public void encode(TlsWriter w) {
    w.vector(proposals).optional(path);
  }
}
