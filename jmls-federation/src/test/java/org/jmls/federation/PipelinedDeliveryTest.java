package org.jmls.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jmls.ds.http.DsClient;
import org.jmls.message.MlsMessage;
import org.junit.jupiter.api.Test;

/**
 * A hub keeps several deliveries in flight to a follower; each names the last sequence of the one
 * before it ({@code previous}), and the follower stores it only after that one. A delivery that
 * arrives first waits for its predecessor, and both are stored in the hub's order; one whose
 * predecessor never comes is refused ({@code fed.out-of-order}) with nothing stored, and the hub
 * sends again from what was acknowledged.
 */
class PipelinedDeliveryTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static String delivery(long seq, String message, long previous) {
    return "{\"entries\": [{\"seq\": " + seq + ", \"groupId\": \"0a0b\", \"kind\": \"APPLICATION\", \"message\": \"" + message
        + "\", \"readers\": [\"bob@example.org/phone\"]}]" + (previous > 0 ? ", \"previous\": " + previous : "") + "}";
  }

  private static CompletableFuture<HttpResponse<String>> notify(Provider from, Provider to, String body) throws Exception {
    long ts = System.currentTimeMillis();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(to.url() + "/fed/notify"))
        .header("Content-Type", "application/json").header(ProviderRequest.FROM, from.domain)
        .header(ProviderRequest.TIMESTAMP, Long.toString(ts))
        .header(ProviderRequest.SIGNATURE, ProviderRequest.sign(from.as.providerIdentity().privateKey(), "POST", "/fed/notify", ts,
            from.domain, to.domain, bytes))
        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @SuppressWarnings("unchecked")
  private static List<String> queued(Provider.Device d) throws Exception {
    DsClient.Response r = d.ds().call("GET", "/ds/queue?after=0&limit=100", null);
    assertEquals(200, r.status(), () -> String.valueOf(r.json()));
    return ((List<Map<String, Object>>) r.json().get("messages")).stream().map(m -> (String) m.get("data")).toList();
  }

  @Test
  void aDeliveryWaitsForTheOneBeforeIt_andOneWithoutItIsRefused() throws Exception {
    try (Provider com = Provider.create("example.com", "sqlite"); Provider org = Provider.create("example.org", "sqlite")) {
      com.start(org);
      org.start(com);
      Provider.Device bob = org.device("bob@example.org", "phone", 1);
      // Two distinct MLSMessages to deliver (KeyPackages of example.com's devices will do: the follower stores what the hub sends).
      String first = Base64.getEncoder().encodeToString(MlsMessage.of(Member.of(com, "a@example.com", "x").keyPackage.keyPackage()).toByteArray());
      String second = Base64.getEncoder().encodeToString(MlsMessage.of(Member.of(com, "b@example.com", "y").keyPackage.keyPackage()).toByteArray());

      // The later delivery arrives first: it is held until the earlier one is stored, then stored after it.
      CompletableFuture<HttpResponse<String>> later = notify(com, org, delivery(20, second, 10));
      HttpResponse<String> earlier = notify(com, org, delivery(10, first, 0)).get(30, TimeUnit.SECONDS);
      assertEquals(200, earlier.statusCode(), earlier.body());
      HttpResponse<String> held = later.get(30, TimeUnit.SECONDS);
      assertEquals(200, held.statusCode(), held.body());
      assertTrue(held.body().contains("\"stored\":20"), held.body());
      assertEquals(List.of(first, second), queued(bob));

      // A delivery whose predecessor (up to 30) never comes: refused after the wait, nothing stored.
      HttpResponse<String> orphan = notify(com, org, delivery(40, first, 30)).get(30, TimeUnit.SECONDS);
      assertEquals(400, orphan.statusCode(), orphan.body());
      assertTrue(orphan.body().contains("fed.out-of-order"), orphan.body());
      assertEquals(List.of(first, second), queued(bob));
    }
  }
}
