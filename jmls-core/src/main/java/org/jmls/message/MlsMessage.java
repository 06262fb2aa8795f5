package org.jmls.message;

import java.util.Objects;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * MLSMessage (RFC 9420 §6): protocol version, wire format, and one of the five bodies. The version
 * is kept as read; checking it is validation, not decoding.
 */
public record MlsMessage(int version, Body body) implements TlsEncodable {
  /** One of PublicMessage, PrivateMessage, Welcome, GroupInfo, KeyPackage. */
  public sealed interface Body extends TlsEncodable
      permits PublicMessage, PrivateMessage, Welcome, GroupInfo, KeyPackage {
    WireFormat wireFormat();
  }

  public MlsMessage {
    Objects.requireNonNull(body, "body");
  }

  public static MlsMessage of(Body body) {
    return new MlsMessage(ProtocolVersion.MLS10, body);
  }

  public WireFormat wireFormat() {
    return body.wireFormat();
  }

  /** Decodes a complete MLSMessage from untrusted bytes (default size limit). */
  public static MlsMessage fromBytes(byte[] input) throws DecodeException {
    return TlsReader.decode(input, MlsMessage::decode);
  }

  public static MlsMessage decode(TlsReader r) throws DecodeException {
    int version = r.u16();
    WireFormat wf = WireFormat.decode(r);
    Body body;
    switch (wf) {
      case MLS_PUBLIC_MESSAGE:
        body = PublicMessage.decode(r);
        break;
      case MLS_PRIVATE_MESSAGE:
        body = PrivateMessage.decode(r);
        break;
      case MLS_WELCOME:
        body = Welcome.decode(r);
        break;
      case MLS_GROUP_INFO:
        body = GroupInfo.decode(r);
        break;
      default:
        body = KeyPackage.decode(r);
        break;
    }
    return new MlsMessage(version, body);
  }

  @Override
  public void encode(TlsWriter w) {
    w.u16(version);
    body.wireFormat().encode(w);
    body.encode(w);
  }
}
