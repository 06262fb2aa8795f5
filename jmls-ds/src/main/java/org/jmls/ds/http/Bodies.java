package org.jmls.ds.http;

import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.message.MlsMessage;
import org.jmls.service.ServiceHttp;

/** Reading request bodies and writing answers for the DS routes: every malformed input is a {@link ValidationException} with a rule id (4xx). */
final class Bodies {
  private Bodies() {}

  static void error(Context ctx, int status, String rule, String message) {
    ServiceHttp.error(ctx, status, rule, message);
  }

  static byte[] b64(Map<?, ?> body, String field) throws ValidationException {
    Object v = body.get(field);
    if (!(v instanceof String)) {
      throw new ValidationException("ds.request-field", "field '" + field + "' (base64) is missing");
    }
    try {
      return Base64.getDecoder().decode((String) v);
    } catch (IllegalArgumentException e) {
      throw new ValidationException("ds.request-field", "field '" + field + "' is not base64");
    }
  }

  static String str(Map<?, ?> body, String field) throws ValidationException {
    Object v = body.get(field);
    if (!(v instanceof String) || ((String) v).isEmpty()) {
      throw new ValidationException("ds.request-field", "field '" + field + "' (text) is missing");
    }
    return (String) v;
  }

  static Map<?, ?> json(Context ctx) throws ValidationException {
    try {
      Map<?, ?> m = ctx.bodyAsClass(Map.class);
      if (m == null) {
        throw new ValidationException("ds.request-body", "a JSON object body is required");
      }
      return m;
    } catch (RuntimeException e) {
      throw new ValidationException("ds.request-body", "the body is not a JSON object");
    }
  }

  static MlsMessage mls(byte[] b) throws ValidationException {
    try {
      return MlsMessage.fromBytes(b);
    } catch (DecodeException e) {
      throw new ValidationException("ds.mls-decode", "an MLS message does not decode: " + e.getMessage());
    }
  }

  static String enc(Bytes b) {
    return Base64.getEncoder().encodeToString(b.unsafeArray());
  }

  static List<String> strings(Object o) throws ValidationException {
    List<String> out = new ArrayList<>();
    if (o == null) {
      return out;
    }
    if (!(o instanceof List)) {
      throw new ValidationException("ds.request-field", "a list of device ids was expected");
    }
    for (Object x : (List<?>) o) {
      out.add(String.valueOf(x));
    }
    return out;
  }

  /** The {@code {groupId}} path parameter (hex). */
  static byte[] groupIdParam(Context ctx) throws ValidationException {
    try {
      return java.util.HexFormat.of().parseHex(ctx.pathParam("groupId"));
    } catch (IllegalArgumentException e) {
      throw new ValidationException("ds.group-id", "the group id is hex");
    }
  }
}
