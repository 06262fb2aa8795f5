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

  private static HttpServer node(String answer, AtomicInteger hits) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s.createContext("/", ex -> {
      hits.incrementAndGet();
      byte[] b = answer.getBytes();
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    s.start();
    return s;
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
    AtomicInteger hits = new AtomicInteger();
    HttpServer live = node("live", hits);
    try {
      String dead = deadNode();
      String alive = "http://127.0.0.1:" + live.getAddress().getPort();
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
    } finally {
      live.stop(0);
    }
  }

  @Test
  void call_requestReachedTheNodeThenFailed_notSentAgain() throws Exception {
    AtomicInteger hits = new AtomicInteger();
    HttpServer other = node("other", hits);
    try {
      Nodes nodes = Nodes.parse("http://127.0.0.1:1," + "http://127.0.0.1:" + other.getAddress().getPort());
      AtomicInteger attempts = new AtomicInteger();
      IOException e = assertThrows(IOException.class, () -> nodes.call(base -> {
        attempts.incrementAndGet();
        throw new IOException("connection reset after the request was sent");
      }));
      assertTrue(e.getMessage().contains("reset"));
      assertEquals(1, attempts.get());
      assertEquals(0, hits.get());
    } finally {
      other.stop(0);
    }
  }

  @Test
  void callAsync_firstNodeRefuses_secondAnswers() throws Exception {
    AtomicInteger hits = new AtomicInteger();
    HttpServer live = node("live", hits);
    try {
      Nodes nodes = Nodes.parse(deadNode() + ",http://127.0.0.1:" + live.getAddress().getPort());
      String got = nodes.callAsync(base -> HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + "/x")).build(),
          HttpResponse.BodyHandlers.ofString()).thenApply(HttpResponse::body)).get();
      assertEquals("live", got);
      assertEquals(1, hits.get());
    } finally {
      live.stop(0);
    }
  }
}
