package org.jmls.conformance;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * deserialization.json: the variable-length vector header of RFC 9420 §2.1.2. Each header must
 * decode to its length (with that many body bytes following) and re-encode to the same bytes.
 */
final class DeserializationVectors extends EntryVectors {
  DeserializationVectors() {
    super("deserialization.json");
  }

  @Override
  String name(JsonObject v, int index) {
    return "header " + Json.str(v, "vlbytes_header") + " #" + index;
  }

  @Override
  void check(JsonObject v, VectorCase.Mismatches m) throws Exception {
    byte[] header = Json.hex(v, "vlbytes_header");
    long length = Json.num(v, "length");
    byte[] input = new byte[header.length + (int) length];
    System.arraycopy(header, 0, input, 0, header.length);
    TlsReader r = new TlsReader(input);
    m.expect("decoded length", length, (long) r.vlen());
    m.expect("header size", header.length, r.offset());
    byte[] encoded = new TlsWriter().vlen((int) length).toByteArray();
    m.expect("re-encoded header", Json.hex(header), Json.hex(encoded));
  }
}
