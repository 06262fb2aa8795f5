package org.jmls.extension;

import java.util.List;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;
import org.jmls.message.Extension;

/** RequiredCapabilities (RFC 9420 §11.1), a GroupContext extension. */
public record RequiredCapabilities(
    List<Integer> extensionTypes, List<Integer> proposalTypes, List<Integer> credentialTypes) {
  public RequiredCapabilities {
    extensionTypes = List.copyOf(extensionTypes);
    proposalTypes = List.copyOf(proposalTypes);
    credentialTypes = List.copyOf(credentialTypes);
  }

  public static RequiredCapabilities from(Extension e) throws DecodeException {
    return TlsReader.decode(
        e.extensionData().unsafeArray(),
        r -> new RequiredCapabilities(r.u16Vector(), r.u16Vector(), r.u16Vector()));
  }

  public Extension toExtension() {
    TlsWriter w = new TlsWriter().u16Vector(extensionTypes).u16Vector(proposalTypes).u16Vector(credentialTypes);
    return new Extension(Extension.REQUIRED_CAPABILITIES, Bytes.wrap(w.toByteArray()));
  }
}
