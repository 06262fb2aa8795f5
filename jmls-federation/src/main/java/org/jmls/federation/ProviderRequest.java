package org.jmls.federation;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.jmls.Bytes;
import org.jmls.codec.TlsWriter;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.CryptoException;
import org.jmls.crypto.DefaultCryptoProvider;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;

/**
 * How one provider authenticates its requests to another: signed with its provider key (an
 * Ed25519 key its own AS certified for its domain, {@link org.jmls.as.ProviderIdentity}), the
 * signature over
 *
 * <pre>
 * struct {
 *   opaque method&lt;V&gt;; opaque path&lt;V&gt;; uint64 timestamp_ms;
 *   opaque from&lt;V&gt;;   // the sending provider's domain
 *   opaque to&lt;V&gt;;     // the receiving provider's domain: a request for one peer is worthless at another
 *   opaque body_hash&lt;V&gt;; // SHA-256 of the body
 * } ProviderRequestTBS;   // signed with label "jmls federation request"
 * </pre>
 *
 * in headers {@value #FROM}, {@value #TIMESTAMP}, {@value #SIGNATURE}. Within five minutes of the
 * receiver's clock, and once: the receiver remembers each signature for that window (the DS's
 * replay guard, shared by every node on its database).
 *
 * <p>Why signed requests rather than TLS client certificates (both allowed by the issue; MIMI's
 * draft asks for mutual TLS): the key and its certificate come from the provider's own AS, whose
 * root each peer already pins for credentials, so there is one trust anchor per peer to configure,
 * not a second PKI with host names; it works unchanged behind TLS-terminating proxies and load
 * balancers and over loopback in tests and the demo; and replays are refused as for devices.
 * Deployments still run it over HTTPS for confidentiality of the metadata.
 */
public final class ProviderRequest {
  private ProviderRequest() {}

  public static final String FROM = "X-JMLS-Provider";
  public static final String TIMESTAMP = "X-JMLS-Timestamp";
  public static final String SIGNATURE = "X-JMLS-Signature";
  static final String LABEL = "jmls federation request";
  public static final long SKEW_MILLIS = 5 * 60 * 1000;
  static final MlsCrypto C = DefaultCryptoProvider.instance().suite(CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519);

  static byte[] toBeSigned(String method, String path, long timestamp, String from, String to, byte[] body) {
    return new TlsWriter()
        .opaque(method.getBytes(StandardCharsets.UTF_8))
        .opaque(path.getBytes(StandardCharsets.UTF_8))
        .u64(timestamp)
        .opaque(from.getBytes(StandardCharsets.UTF_8))
        .opaque(to.getBytes(StandardCharsets.UTF_8))
        .opaque(C.hash(body))
        .toByteArray();
  }

  /** The signature header value. */
  public static String sign(Secret providerKey, String method, String path, long timestamp, String from, String to, byte[] body)
      throws CryptoException {
    return Base64.getEncoder().encodeToString(C.signWithLabel(providerKey, LABEL, toBeSigned(method, path, timestamp, from, to, body))
        .unsafeArray());
  }

  /** Whether {@code signature} is {@code from}'s signature over this request to {@code to}. */
  public static boolean verify(Bytes providerKey, String method, String path, long timestamp, String from, String to, byte[] body,
      String signature) {
    byte[] sig;
    try {
      sig = Base64.getDecoder().decode(signature);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return C.verifyWithLabel(providerKey, LABEL, toBeSigned(method, path, timestamp, from, to, body), Bytes.wrap(sig));
  }
}
