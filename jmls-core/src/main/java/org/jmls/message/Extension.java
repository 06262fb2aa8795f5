package org.jmls.message;

import java.util.List;
import java.util.Objects;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * {@code struct { ExtensionType extension_type; opaque extension_data<V>; } Extension} (RFC 9420
 * §13.4). Any type decodes, including unknown and GREASE types; the typed views in {@code
 * org.jmls.extension} parse {@link #extensionData()} on demand.
 */
public record Extension(int extensionType, Bytes extensionData) implements TlsEncodable {
  public static final int APPLICATION_ID = 0x0001;
  public static final int RATCHET_TREE = 0x0002;
  public static final int REQUIRED_CAPABILITIES = 0x0003;
  public static final int EXTERNAL_PUB = 0x0004;
  public static final int EXTERNAL_SENDERS = 0x0005;

  public Extension {
    Objects.requireNonNull(extensionData, "extensionData");
  }

  public static Extension decode(TlsReader r) throws DecodeException {
    return new Extension(r.u16(), r.opaque());
  }

  public static List<Extension> decodeList(TlsReader r) throws DecodeException {
    return r.vector(Extension::decode);
  }

  @Override
  public void encode(TlsWriter w) {
    w.u16(extensionType).opaque(extensionData);
  }

  /** The first extension of {@code type} in {@code list}, or null. */
  public static Extension find(List<Extension> list, int type) {
    for (Extension e : list) {
      if (e.extensionType == type) {
        return e;
      }
    }
    return null;
  }

  /** True if the RFC 9420 §17.3 GREASE pattern ({@code 0x?A?A}) matches {@code value}. */
  public static boolean isGrease(int value) {
    return (value & 0x0f0f) == 0x0a0a && ((value >> 4) & 0xf) == ((value >> 12) & 0xf);
  }
}
