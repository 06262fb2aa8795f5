package org.jmls.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jmls.ds.http.CommitBundle;
import org.jmls.ds.http.DsClient;
import org.jmls.group.Group;
import org.jmls.message.MlsMessage;
import org.jmls.service.Database;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input on every federation endpoint, from the authenticated peer itself and from strangers:
 * each is answered with a 4xx and a JSON error naming a rule (never a 5xx), and nothing is stored.
 * Both providers' databases (every table of the AS and the DS, row by row) are compared before and
 * after, once all deliveries between them have settled; the only table allowed to change is the
 * record of signed requests already used (the replay guard, which is what refuses a second use).
 *
 * <p>The group is real (example.com hosts it, example.org follows it with Bob's device in it), and
 * so are some of the inputs: a commit the hub already accepted, relayed again; a KeyPackage or a
 * commit posted as a message; Bob's real group id with a device that is not in it.
 */
class FederationBadInputTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** The replay guard: a refused request may still have used up its signature. */
  private static final String REPLAY_GUARD = "ds_seen_requests";

  private long stamp;

  private record Call(String method, String path, String type, byte[] body) {}

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void everyFederationEndpoint_badInput_4xxWithARule_nothingStored(String db) throws Exception {
    try (Provider com = Provider.create("example.com", db); Provider org = Provider.create("example.org", db)) {
      Provider.federate(com, org);
      Member alice = Member.of(com, "alice@example.com", "phone");
      Member bob = Member.of(org, "bob@example.org", "phone");
      org.device("bob@example.org", "tablet", 2); // KeyPackages left at example.org, for claims
      alice.create(com.clients, new byte[] {5, 5, 5});
      assertEquals(200, alice.add(bob).status());
      bob.join(org.clients);
      // A commit of Bob's that the hub accepted (relayed by example.org): relayed again below, it is stale.
      Group.CommitResult c = bob.group.commit(List.of(), List.of(), true, true);
      byte[] accepted = new CommitBundle(c.commit(), c.groupInfo(false), c.welcome(), List.of(), List.of()).toByteArray();
      DsClient.Response r = bob.device.ds().send("POST", "/ds/groups/commit", accepted, CommitBundle.MEDIA_TYPE);
      assertEquals(200, r.status(), () -> String.valueOf(r.json()));
      bob.group.mergePendingCommit();
      assertEquals(200, bob.send("hello").status());
      alice.readUntil(com.clients, 1);
      byte[] keyPackage = MlsMessage.of(alice.claim("bob@example.org").get(0)).toByteArray();
      String gid = bob.group.groupId().hex();

      List<Call> atHub = hubCalls(gid, accepted, keyPackage, c.commit().toByteArray());
      List<Call> atFollower = followerCalls(gid);

      Map<String, List<String>> before = settledSnapshot(com, org);
      for (Call call : atHub) {
        for (boolean signed : new boolean[] {true, false}) {
          checkRefused(org, com, call, signed);
        }
      }
      for (Call call : atFollower) {
        for (boolean signed : new boolean[] {true, false}) {
          checkRefused(com, org, call, signed);
        }
      }
      // A wake carries nothing: any body is taken as the wake it is, and nothing is stored either.
      HttpResponse<String> wake = send(org, com, new Call("POST", "/fed/wake", "application/json", bytes("{\"entries\": 7}")), true);
      assertEquals(200, wake.statusCode(), wake.body());
      Map<String, List<String>> after = settledSnapshot(com, org);
      for (String table : before.keySet()) {
        assertEquals(before.get(table), after.get(table), table + " changed");
      }
      assertEquals(before.keySet(), after.keySet());
      for (String table : new String[] {"com ds ds_remote_clients", "com ds ds_peer_cursors", "org ds ds_hosted_elsewhere",
          "org ds ds_peer_received", "org ds ds_key_packages", "org as as_certificates"}) {
        assertTrue(before.keySet().stream().anyMatch(t -> t.equalsIgnoreCase(table)), "the snapshot covers " + table + ": " + before.keySet());
      }
      assertTrue(before.entrySet().stream().filter(e -> e.getKey().toLowerCase(java.util.Locale.ROOT).startsWith("org ds ds_hosted"))
          .allMatch(e -> !e.getValue().isEmpty()), "the follower knows the hub of the group");

      // A well-formed delivery to a device example.org does not know: refused by name and consumed
      // (the hub does not send it again), nothing queued.
      long seq = org.dsDb.read(k -> { // the next of the hub's numbers example.org has not stored yet
        try (var q = k.prepareStatement("SELECT last_seq FROM ds_peer_received WHERE provider = 'example.com'"); var rs = q.executeQuery()) {
          return rs.next() ? rs.getLong(1) + 1 : 1;
        }
      });
      String ghost = "{\"entries\": [{\"seq\": " + seq + ", \"groupId\": \"" + gid + "\", \"kind\": \"APPLICATION\", \"message\": \""
          + Base64.getEncoder().encodeToString(keyPackage) + "\", \"readers\": [\"bob@example.org/ghost\"]}]}";
      long queued = org.ds.groups().storedMessages();
      HttpResponse<String> consumed = send(com, org, new Call("POST", "/fed/notify", "application/json", bytes(ghost)), true);
      assertEquals(200, consumed.statusCode(), consumed.body());
      assertEquals(List.of(seq + ": none of its readers [bob@example.org/ghost] is a device registered here"),
          JSON.readValue(consumed.body(), Map.class).get("refused"));
      assertEquals(queued, org.ds.groups().storedMessages());

      // And the group still works: nothing above broke it.
      assertEquals(200, bob.send("still here").status());
      alice.readUntil(com.clients, 2);
      assertEquals(List.of("hello", "still here"), alice.received);
    }
  }

  /** What example.org (authenticated) sends the hub that must be refused: relays of every kind. */
  private static List<Call> hubCalls(String gid, byte[] acceptedBundle, byte[] keyPackage, byte[] commitMessage) {
    String bobPhone = "sender=bob%40example.org%2Fphone";
    List<Call> calls = new ArrayList<>();
    byte[] truncated = java.util.Arrays.copyOf(commitMessage, commitMessage.length / 2);
    for (String query : new String[] {"", "?sender=", "?sender=bob", "?sender=alice%40example.com%2Fphone",
        "?sender=mallory%40example.net%2Fx"}) {
      calls.add(new Call("POST", "/fed/relay/messages" + query, "message/mls", new byte[] {0, 1, 2}));
      calls.add(new Call("POST", "/fed/relay/commit" + query, CommitBundle.MEDIA_TYPE, acceptedBundle));
    }
    for (byte[] body : new byte[][] {new byte[0], {0, 1, 2}, truncated, keyPackage, commitMessage}) {
      calls.add(new Call("POST", "/fed/relay/messages?" + bobPhone, "message/mls", body));
    }
    for (byte[] body : new byte[][] {new byte[0], {0, 1, 2}, truncated, commitMessage, acceptedBundle}) {
      calls.add(new Call("POST", "/fed/relay/commit?" + bobPhone, CommitBundle.MEDIA_TYPE, body));
    }
    // A device of example.org that is not in the group.
    calls.add(new Call("POST", "/fed/relay/commit?sender=bob%40example.org%2Ftablet", CommitBundle.MEDIA_TYPE, acceptedBundle));
    String post = Base64.getEncoder().encodeToString(new byte[] {0, 1, 2});
    for (String batch : new String[] {"", "[]", "{}", "nonsense", "{\"messages\": []}", "{\"messages\": \"x\"}", "{\"messages\": [1]}",
        "{\"messages\": [{\"sender\": \"bob@example.org/phone\"}]}", "{\"messages\": [{\"sender\": \"bob@example.org/phone\", \"data\": \"!!\"}]}",
        "{\"messages\": [{\"sender\": \"bob@example.org/phone\", \"data\": \"" + post + "\"}]}",
        "{\"messages\": [{\"sender\": \"alice@example.com/phone\", \"data\": \"" + post + "\"}]}",
        "{\"messages\": [{\"sender\": \"bob@example.org/phone\", \"data\": \"" + Base64.getEncoder().encodeToString(keyPackage) + "\"}]}",
        "{\"messages\": [" + ("{\"sender\": \"bob@example.org/phone\", \"data\": \"" + post + "\"},").repeat(1024) + "{}]}"}) {
      calls.add(new Call("POST", "/fed/relay/messages/batch", "application/json", bytes(batch)));
    }
    for (String read : new String[] {"log", "group-info", "tree"}) {
      for (String g : new String[] {"zz", "00", gid + "00"}) {
        calls.add(new Call("GET", "/fed/relay/groups/" + g + "/" + read + "?" + bobPhone, "", new byte[0]));
      }
      if (!read.equals("group-info")) { // the group allows external joins: its GroupInfo is for non-members too
        calls.add(new Call("GET", "/fed/relay/groups/" + gid + "/" + read + "?sender=bob%40example.org%2Ftablet", "", new byte[0]));
      }
      calls.add(new Call("GET", "/fed/relay/groups/" + gid + "/" + read, "", new byte[0]));
    }
    for (String q : new String[] {"after=x", "limit=x", "commitEpoch=x"}) {
      calls.add(new Call("GET", "/fed/relay/groups/" + gid + "/log?" + bobPhone + "&" + q, "", new byte[0]));
    }
    calls.add(new Call("GET", "/fed/relay/groups/" + gid + "/tree?" + bobPhone + "&epoch=x", "", new byte[0]));
    calls.add(new Call("GET", "/fed/relay/groups/" + gid + "/tree?" + bobPhone + "&epoch=99", "", new byte[0]));
    return calls;
  }

  /** What example.com (authenticated) sends example.org that must be refused: deliveries and claims. */
  private static List<Call> followerCalls(String gid) {
    List<Call> calls = new ArrayList<>();
    String m = Base64.getEncoder().encodeToString(new byte[] {0, 1, 2});
    String entry = "{\"seq\": 9, \"groupId\": \"" + gid + "\", \"kind\": \"APPLICATION\", \"message\": \"" + m + "\", \"readers\": %s}";
    for (String notify : new String[] {"", "nonsense", "[]", "{}", "{\"entries\": \"x\"}", "{\"entries\": [1]}",
        "{\"entries\": [{\"seq\": 1}]}",
        String.format("{\"entries\": [" + entry + "]}", "[]"),
        String.format("{\"entries\": [" + entry + "]}", "[\"alice@example.com/phone\"]"),
        String.format("{\"entries\": [" + entry + "]}", "[\"bob@example.org/phone\"]"), // not an MLSMessage
        String.format("{\"entries\": [" + entry.replace("APPLICATION", "NONSENSE") + "]}", "[\"bob@example.org/phone\"]"),
        String.format("{\"entries\": [" + entry.replace(m, "!!") + "]}", "[\"bob@example.org/phone\"]"),
        String.format("{\"entries\": [" + entry.replace(gid, "zz") + "]}", "[\"bob@example.org/phone\"]"),
        String.format("{\"entries\": [" + entry.replace("9,", "-1,") + "]}", "[\"bob@example.org/phone\"]"),
        String.format("{\"entries\": [" + entry + ", " + entry + "]}", "[\"bob@example.org/phone\"]", "[\"bob@example.org/phone\"]")}) {
      calls.add(new Call("POST", "/fed/notify", "application/json", bytes(notify)));
    }
    for (String claim : new String[] {"", "nonsense", "[]", "{}", "{\"userIds\": \"bob@example.org\"}", "{\"userIds\": [1]}",
        "{\"userIds\": [\"alice@example.com\"]}", "{\"userIds\": [\"bob@example.org\"], \"cipherSuite\": 9999}",
        "{\"userIds\": [\"bob@example.org\"], \"cipherSuite\": \"x\"}",
        "{\"userIds\": [" + "\"bob@example.org\",".repeat(10_000) + "\"bob@example.org\"]}"}) {
      calls.add(new Call("POST", "/fed/key-packages/claim", "application/json", bytes(claim)));
    }
    return calls;
  }

  private void checkRefused(Provider from, Provider to, Call call, boolean signed) throws Exception {
    HttpResponse<String> r = send(from, to, call, signed);
    String what = (signed ? "signed " : "unsigned ") + call.method() + " " + call.path() + " " + abbreviated(call.body()) + " -> "
        + r.statusCode() + " " + abbreviated(r.body().getBytes(StandardCharsets.UTF_8));
    if (signed && r.statusCode() == 200 && call.path().equals("/fed/relay/messages/batch")) {
      // A well-formed batch is answered post by post: each of these posts refused with a rule.
      List<?> results = (List<?>) JSON.readValue(r.body(), Map.class).get("results");
      assertTrue(!results.isEmpty(), what);
      for (Object o : results) {
        assertTrue(o instanceof Map<?, ?> m && m.get("error") instanceof String rule && !rule.isBlank() && m.get("seq") == null, what);
      }
      return;
    }
    assertTrue(r.statusCode() >= 400 && r.statusCode() < 500, what);
    Map<?, ?> error = JSON.readValue(r.body(), Map.class);
    assertTrue(error.get("error") instanceof String rule && !rule.isBlank(), what);
    if (!signed) {
      assertEquals(401, r.statusCode(), what);
    }
  }

  private HttpResponse<String> send(Provider from, Provider to, Call call, boolean signed) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(to.url() + call.path())).method(call.method(),
        call.method().equals("GET") ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(call.body()));
    if (!call.type().isEmpty()) {
      b.header("Content-Type", call.type());
    }
    if (signed) {
      long ts = Math.max(System.currentTimeMillis(), stamp + 1);
      stamp = ts;
      b.header(ProviderRequest.FROM, from.domain).header(ProviderRequest.TIMESTAMP, Long.toString(ts)).header(ProviderRequest.SIGNATURE,
          ProviderRequest.sign(from.as.providerIdentity().privateKey(), call.method(), call.path(), ts, from.domain, to.domain,
              call.method().equals("GET") ? new byte[0] : call.body()));
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Every row of every table of both providers (but the replay guard), once neither owes the other a delivery. */
  private static Map<String, List<String>> settledSnapshot(Provider com, Provider org) throws Exception {
    assertTrue(com.federation.awaitDelivered(org.domain, Duration.ofSeconds(30)), "example.com's deliveries settle");
    assertTrue(org.federation.awaitDelivered(com.domain, Duration.ofSeconds(30)), "example.org's deliveries settle");
    Map<String, List<String>> out = new TreeMap<>();
    for (Map.Entry<String, Database> e : Map.of("com as", com.asDb, "com ds", com.dsDb, "org as", org.asDb, "org ds", org.dsDb).entrySet()) {
      out.putAll(rows(e.getKey(), e.getValue()));
    }
    return out;
  }

  private static Map<String, List<String>> rows(String name, Database db) throws Exception {
    return db.transaction(conn -> {
      List<String> tables = new ArrayList<>();
      try (ResultSet t = conn.getMetaData().getTables(conn.getCatalog(), conn.getSchema(), "%", null)) {
        while (t.next()) {
          String table = t.getString("TABLE_NAME");
          if (String.valueOf(t.getString("TABLE_TYPE")).toUpperCase(java.util.Locale.ROOT).equals("TABLE")
              && !table.equalsIgnoreCase(REPLAY_GUARD)) {
            tables.add(table);
          }
        }
      }
      Map<String, List<String>> out = new TreeMap<>();
      for (String table : tables) {
        List<String> rows = new ArrayList<>();
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
          ResultSetMetaData md = rs.getMetaData();
          while (rs.next()) {
            StringBuilder row = new StringBuilder();
            for (int i = 1; i <= md.getColumnCount(); i++) {
              Object v = rs.getObject(i);
              row.append(v instanceof byte[] bs ? HexFormat.of().formatHex(bs) : String.valueOf(v)).append('|');
            }
            rows.add(row.toString());
          }
        }
        rows.sort(null);
        out.put(name + " " + table, rows);
      }
      return out;
    });
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String abbreviated(byte[] body) {
    String s = new String(body, StandardCharsets.UTF_8);
    return s.length() > 120 ? s.substring(0, 120) + "…" : s;
  }
}
