package org.jmls.conformance;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/** Small accessors for the vector JSON (hex strings and numbers). */
final class Json {
  private static final HexFormat HEX = HexFormat.of();

  private Json() {}

  static JsonArray readArray(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return JsonParser.parseReader(r).getAsJsonArray();
    }
  }

  static byte[] hex(JsonObject o, String field) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      throw new IllegalArgumentException("vector field " + field + " missing");
    }
    return HEX.parseHex(e.getAsString());
  }

  static byte[] hex(String s) {
    return HEX.parseHex(s);
  }

  static String hex(byte[] b) {
    return HEX.formatHex(b);
  }

  static long num(JsonObject o, String field) {
    return o.get(field).getAsLong();
  }

  static JsonObject obj(JsonObject o, String field) {
    return o.getAsJsonObject(field);
  }

  static String str(JsonObject o, String field) {
    return o.get(field).getAsString();
  }
}
