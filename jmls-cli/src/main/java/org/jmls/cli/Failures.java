package org.jmls.cli;

import com.fasterxml.jackson.core.JacksonException;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.sql.SQLException;
import javax.net.ssl.SSLException;

/**
 * Turns what a command can meet into one sentence a person can act on: low-level exceptions
 * (sockets, files, databases) are said in words with what was being reached, never as a class name.
 */
final class Failures {
  private Failures() {}

  /** The sentence for {@code e}, met while talking to the servers at {@code url} (may be null). */
  static String describe(Throwable e, String url) {
    String where = url == null ? "the server" : url;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
        return "cannot reach " + where + ": unknown host" + hostOf(url);
      }
      if (t instanceof HttpConnectTimeoutException) {
        return "cannot reach " + where + ": the connection timed out";
      }
      if (t instanceof HttpTimeoutException) {
        return where + " did not answer in time";
      }
      if (t instanceof NoRouteToHostException) {
        return "cannot reach " + where + ": no route to host";
      }
      if (t instanceof BindException) {
        return "cannot listen on that address and port: " + (t.getMessage() == null ? "already in use" : t.getMessage().toLowerCase())
            + " (another server there? choose --port)";
      }
      if (t instanceof ConnectException) {
        return "cannot reach " + where + ": connection refused (is 'jmls server' running there?)";
      }
      if (t instanceof SSLException) {
        return "cannot talk TLS with " + where + ": " + plain(t);
      }
      if (t instanceof JacksonException) {
        return where + " did not answer like a jmls server (its reply is not the JSON expected)";
      }
      if (t instanceof NoSuchFileException) {
        return "no such file: " + ((NoSuchFileException) t).getFile();
      }
      if (t instanceof AccessDeniedException) {
        return "permission denied: " + ((AccessDeniedException) t).getFile();
      }
      if (t instanceof FileSystemException) {
        FileSystemException f = (FileSystemException) t;
        return "cannot use " + f.getFile() + (f.getReason() == null ? "" : ": " + f.getReason());
      }
      if (t instanceof SQLException && t.getMessage() != null && t.getMessage().contains("SQLITE_CANTOPEN")) {
        return "cannot open the store file (missing folder or no permission)";
      }
      if (t instanceof SQLException && t.getMessage() != null && t.getMessage().contains("SQLITE_NOTADB")) {
        return "the store file is not a jmls store (or is damaged)";
      }
      if (t instanceof IOException && t.getMessage() != null && t.getMessage().contains("header parser received no bytes")) {
        return where + " closed the connection without answering";
      }
    }
    return plain(e);
  }

  /** The exception's own message when it has one, else its kind in words. */
  private static String plain(Throwable e) {
    if (e.getMessage() != null && !e.getMessage().isBlank()) {
      return e.getMessage();
    }
    String kind = e.getClass().getSimpleName().replaceAll("(Exception|Error)$", "").replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase();
    return "failed (" + kind + ")";
  }

  private static String hostOf(String url) {
    try {
      String h = java.net.URI.create(url).getHost();
      return h == null ? "" : " " + h;
    } catch (RuntimeException e) {
      return "";
    }
  }
}
