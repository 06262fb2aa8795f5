package org.jmls.message;

import java.util.Objects;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** FramedContent (RFC 9420 §6): group_id, epoch, sender, authenticated_data, then the content. */
public record FramedContent(
    Bytes groupId, long epoch, Sender sender, Bytes authenticatedData, Content content)
    implements TlsEncodable {

  public FramedContent {
    Objects.requireNonNull(groupId, "groupId");
    Objects.requireNonNull(sender, "sender");
    Objects.requireNonNull(authenticatedData, "authenticatedData");
    Objects.requireNonNull(content, "content");
  }

  public ContentType contentType() {
    return content.contentType();
  }

  public static FramedContent decode(TlsReader r) throws DecodeException {
    Bytes groupId = r.opaque();
    long epoch = r.u64();
    Sender sender = Sender.decode(r);
    Bytes aad = r.opaque();
    ContentType type = ContentType.decode(r);
    return new FramedContent(groupId, epoch, sender, aad, decodeContent(type, r));
  }

  /** Reads the content body selected by {@code type}. */
  public static Content decodeContent(ContentType type, TlsReader r) throws DecodeException {
    switch (type) {
      case APPLICATION:
        return ApplicationData.decode(r);
      case PROPOSAL:
        return Proposal.decode(r);
      default:
        return Commit.decode(r);
    }
  }

  @Override
  public void encode(TlsWriter w) {
    w.opaque(groupId).u64(epoch);
    sender.encode(w);
    w.opaque(authenticatedData);
    content.contentType().encode(w);
    content.encode(w);
  }

  /**
   * FramedContentTBS (§6.1): version, wire format, this content, and the GroupContext when the
   * sender is a member or a new member committing, whatever the wire format ({@code context} is
   * ignored for external senders and new-member proposals, and may be null then).
   */
  public byte[] toBeSigned(WireFormat wireFormat, GroupContext context) {
    TlsWriter w = new TlsWriter();
    w.u16(ProtocolVersion.MLS10);
    wireFormat.encode(w);
    encode(w);
    SenderType st = sender.senderType();
    if (st == SenderType.MEMBER || st == SenderType.NEW_MEMBER_COMMIT) {
      context.encode(w);
    }
    return w.toByteArray();
  }
}
