package org.jmls.message;

import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * ProposalOrRef (RFC 9420 §12.4): a proposal by value (type 1) or a ProposalRef (type 2). Exactly
 * one of the two fields is set.
 */
public record ProposalOrRef(Proposal proposal, Bytes reference) implements TlsEncodable {
  private static final int PROPOSAL = 1;
  private static final int REFERENCE = 2;

  public ProposalOrRef {
    if ((proposal == null) == (reference == null)) {
      throw new IllegalArgumentException("exactly one of proposal and reference");
    }
  }

  public static ProposalOrRef byValue(Proposal p) {
    return new ProposalOrRef(p, null);
  }

  public static ProposalOrRef byReference(Bytes ref) {
    return new ProposalOrRef(null, ref);
  }

  public boolean isReference() {
    return reference != null;
  }

  public static ProposalOrRef decode(TlsReader r) throws DecodeException {
    int at = r.offset();
    int type = r.u8();
    if (type == PROPOSAL) {
      return byValue(Proposal.decode(r));
    }
    if (type == REFERENCE) {
      return byReference(r.opaque());
    }
    throw new DecodeException(at, "unknown ProposalOrRefType " + type);
  }

  @Override
  public void encode(TlsWriter w) {
    if (proposal != null) {
      w.u8(PROPOSAL);
      proposal.encode(w);
    } else {
      w.u8(REFERENCE).opaque(reference);
    }
  }
}
