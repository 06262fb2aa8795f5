package org.jmls.message;

import java.util.List;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/** Capabilities of a client (RFC 9420 §7.2). Unknown and GREASE values are kept. */
public record Capabilities(
    List<Integer> versions,
    List<Integer> cipherSuites,
    List<Integer> extensions,
    List<Integer> proposals,
    List<Integer> credentials)
    implements TlsEncodable {

  public Capabilities {
    versions = List.copyOf(versions);
    cipherSuites = List.copyOf(cipherSuites);
    extensions = List.copyOf(extensions);
    proposals = List.copyOf(proposals);
    credentials = List.copyOf(credentials);
  }

  public static Capabilities decode(TlsReader r) throws DecodeException {
    return new Capabilities(
        r.u16Vector(), r.u16Vector(), r.u16Vector(), r.u16Vector(), r.u16Vector());
  }

  @Override
  public void encode(TlsWriter w) {
    w.u16Vector(versions)
        .u16Vector(cipherSuites)
        .u16Vector(extensions)
        .u16Vector(proposals)
        .u16Vector(credentials);
  }
}
