package org.jmls.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A client's list of nodes: a node that refuses connections is skipped; a request that reached one is not sent again. */
class NodesTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** A port nothing listens on (bound, then released). */
  private static String deadNode() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return "http://127.0.0.1:" + s.getLocalPort();
    }
  }

  /** A node on loopback answering every request with one text, counting the requests. */
  private record LiveNode(HttpServer server, AtomicInteger hits) implements AutoCloseable {
    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  private static LiveNode node(String answer) throws IOException {
    AtomicInteger hits = new AtomicInteger();
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s.createContext("/", ex -> {
      hits.incrementAndGet();
      byte[] b = answer.getBytes();
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    s.start();
    return new LiveNode(s, hits);
  }

  private static String get(String base) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/x")).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void parse_listOfUrls_trimmedWithoutTrailingSlashes() {
    assertEquals(List.of("http://a:1", "http://b:2"), Nodes.parse(" http://a:1/ ,http://b:2").all());
    assertEquals(List.of("http://a:1"), Nodes.parse("http://a:1").all());
    assertThrows(IllegalArgumentException.class, () -> Nodes.parse(" , "));
  }

  @Test
  void call_firstNodeRefuses_secondAnswers_andStaysCurrent() throws Exception {
    try (LiveNode live = node("live")) {
      AtomicInteger hits = live.hits();
      String dead = deadNode();
      String alive = live.url();
      Nodes nodes = Nodes.parse(dead + "," + alive);
      List<String> tried = new ArrayList<>();
      assertEquals("live", nodes.call(base -> {
        tried.add(base);
        return get(base);
      }));
      assertEquals(List.of(dead, alive), tried);
      assertEquals(alive, nodes.current()); // the next request goes straight there
      assertEquals("live", nodes.call(NodesTest::get));
      assertEquals(2, hits.get());
    }
  }

  @Test
  void call_requestReachedTheNodeThenFailed_notSentAgain() throws Exception {
    try (LiveNode other = node("other")) {
      AtomicInteger hits = other.hits();
      Nodes nodes = Nodes.parse("http://127.0.0.1:1," + other.url());
      AtomicInteger attempts = new AtomicInteger();
      IOException e = assertThrows(IOException.class, () -> nodes.call(base -> {
        attempts.incrementAndGet();
        throw new IOException("connection reset after the request was sent");
      }));
      assertTrue(e.getMessage().contains("reset"));
      assertEquals(1, attempts.get());
      assertEquals(0, hits.get());
    }
  }

  @Test
  void callAsync_firstNodeRefuses_secondAnswers() throws Exception {
    try (LiveNode live = node("live")) {
      AtomicInteger hits = live.hits();
      Nodes nodes = Nodes.parse(deadNode() + "," + live.url());
      String got = nodes.callAsync(base -> HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + "/x")).build(),
          HttpResponse.BodyHandlers.ofString()).thenApply(HttpResponse::body)).get();
      assertEquals("live", got);
      assertEquals(1, hits.get());
    }
  }
}
