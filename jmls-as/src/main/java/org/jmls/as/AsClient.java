package org.jmls.as;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

/**
 * The AS's HTTP API from the other side: JSON requests, with the operator token as
 * {@code Authorization: Bearer} where one is given, and the root certificate. Used by devices
 * (enrolment, renewal) and by operator tools alike.
 */
public final class AsClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** An answer: HTTP status and its JSON body (every AS answer, refusals included, is a JSON object). */
  public record Response(int status, Map<?, ?> json) {
    /** The refusal's sentence, for a status of 300 and above. */
    public String message() {
      return String.valueOf(json.get("message"));
    }
  }

  private final org.jmls.service.Nodes nodes;
  private final HttpClient http;

  /** A client of the AS at {@code baseUrl}: one URL, or the nodes of one deployment comma-separated ({@link org.jmls.service.Nodes}). */
  public AsClient(String baseUrl, HttpClient http) {
    this.nodes = org.jmls.service.Nodes.parse(baseUrl);
    this.http = http;
  }

  /** {@code method path} with {@code body} as JSON (null: none), authorised by {@code bearer} when not null. */
  public Response call(String method, String path, Object body, String bearer) throws IOException, InterruptedException {
    String json = body == null ? null : JSON.writeValueAsString(body);
    HttpResponse<String> r = nodes.call(base -> {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
      if (bearer != null) {
        b.header("Authorization", "Bearer " + bearer);
      }
      if (json == null) {
        b.method(method, HttpRequest.BodyPublishers.noBody());
      } else {
        b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
      }
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    });
    return new Response(r.statusCode(), JSON.readValue(r.body(), Map.class));
  }

  /** The DER of the AS's root certificate ({@code GET /as/root}). */
  public byte[] root() throws IOException, InterruptedException {
    return nodes.call(base -> http.send(HttpRequest.newBuilder(URI.create(base + "/as/root")).build(), HttpResponse.BodyHandlers.ofByteArray())).body();
  }

  /**
   * The roots whose credentials a device of this provider accepts ({@code GET /fed/roots}): this
   * provider's and those of its federated peers, by domain; null when the provider is not
   * federated (then {@link #root()} is the only one).
   */
  public FederationRoots federationRoots() throws IOException, InterruptedException {
    HttpResponse<String> r = nodes.call(base -> http.send(HttpRequest.newBuilder(URI.create(base + "/fed/roots")).build(),
        HttpResponse.BodyHandlers.ofString()));
    if (r.statusCode() != 200) {
      return null;
    }
    Map<?, ?> m = JSON.readValue(r.body(), Map.class);
    Map<String, byte[]> out = new java.util.LinkedHashMap<>();
    if (m.get("roots") instanceof Map<?, ?> roots) {
      for (Map.Entry<?, ?> e : roots.entrySet()) {
        out.put(String.valueOf(e.getKey()), java.util.Base64.getDecoder().decode(String.valueOf(e.getValue())));
      }
    }
    return new FederationRoots(String.valueOf(m.get("domain")), out);
  }

  /** This provider's domain and the AS root (DER) of each domain its devices accept credentials of, its own included. */
  public record FederationRoots(String domain, Map<String, byte[]> roots) {}
}
