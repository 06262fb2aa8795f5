package org.jmls.ds.http;

import java.nio.charset.StandardCharsets;
import org.jmls.Bytes;
import org.jmls.codec.TlsWriter;
import org.jmls.crypto.CryptoException;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;

/**
 * How a device authenticates to the Delivery Service: every request is signed with its MLS
 * signature key (no passwords). Headers: {@code X-MLS-Client} (device id), {@code X-MLS-Timestamp}
 * (milliseconds since the epoch; the server accepts ±5 minutes) and {@code X-MLS-Signature}
 * (base64 of SignWithLabel(key, "jmls DS request", RequestTBS)), where RequestTBS is
 * {@code opaque method<V>; opaque path<V>; uint64 timestamp; opaque client<V>; opaque body_hash<V>}
 * with body_hash = Hash(body) under the device's cipher suite.
 */
public final class SignedRequest {
  public static final String CLIENT = "X-MLS-Client";
  public static final String TIMESTAMP = "X-MLS-Timestamp";
  public static final String SIGNATURE = "X-MLS-Signature";
  static final String LABEL = "jmls DS request";
  /** Largest accepted clock difference between device and server. */
  public static final long SKEW_MILLIS = 5 * 60 * 1000;

  private SignedRequest() {}

  static byte[] toBeSigned(MlsCrypto c, String method, String path, long timestamp, String client, byte[] body) {
    return new TlsWriter()
        .opaque(method.getBytes(StandardCharsets.UTF_8))
        .opaque(path.getBytes(StandardCharsets.UTF_8))
        .u64(timestamp)
        .opaque(client.getBytes(StandardCharsets.UTF_8))
        .opaque(c.hash(body))
        .toByteArray();
  }

  /** The signature header value for a request. */
  public static String sign(MlsCrypto c, Secret key, String method, String path, long timestamp, String client, byte[] body)
      throws CryptoException {
    Bytes sig = c.signWithLabel(key, LABEL, toBeSigned(c, method, path, timestamp, client, body));
    return java.util.Base64.getEncoder().encodeToString(sig.unsafeArray());
  }

  static boolean verify(MlsCrypto c, Bytes publicKey, String method, String path, long timestamp, String client, byte[] body,
      String signature) {
    byte[] sig;
    try {
      sig = java.util.Base64.getDecoder().decode(signature);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return c.verifyWithLabel(publicKey, LABEL, toBeSigned(c, method, path, timestamp, client, body), Bytes.wrap(sig));
  }
}
