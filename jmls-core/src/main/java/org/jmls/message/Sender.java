package org.jmls.message;

import java.util.Objects;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * Sender (RFC 9420 §6). {@code index} is the leaf index for a member, the index into
 * external_senders for an external sender, and 0 (not on the wire) for new members.
 */
public record Sender(SenderType senderType, int index) implements TlsEncodable {
  public Sender {
    Objects.requireNonNull(senderType, "senderType");
  }

  public static Sender member(int leafIndex) {
    return new Sender(SenderType.MEMBER, leafIndex);
  }

  public static Sender external(int senderIndex) {
    return new Sender(SenderType.EXTERNAL, senderIndex);
  }

  public static Sender newMemberProposal() {
    return new Sender(SenderType.NEW_MEMBER_PROPOSAL, 0);
  }

  public static Sender newMemberCommit() {
    return new Sender(SenderType.NEW_MEMBER_COMMIT, 0);
  }

  private boolean hasIndex() {
    return senderType == SenderType.MEMBER || senderType == SenderType.EXTERNAL;
  }

  public static Sender decode(TlsReader r) throws DecodeException {
    SenderType type = SenderType.decode(r);
    int index = type == SenderType.MEMBER || type == SenderType.EXTERNAL ? r.u32() : 0;
    return new Sender(type, index);
  }

  @Override
  public void encode(TlsWriter w) {
    senderType.encode(w);
    if (hasIndex()) {
      w.u32(index);
    }
  }
}
