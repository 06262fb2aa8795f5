package org.jmls.ds.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * A device's read of its queue in binary (media type {@value #MEDIA_TYPE}, asked for with
 * {@code Accept} on {@code GET /ds/queue}): the MLS messages as on the wire, no base64.
 *
 * <pre>
 * struct {
 *   uint64 seq;
 *   uint8 kind;              // 1 proposal, 2 commit, 3 application, 4 welcome
 *   opaque group_id&lt;V&gt;;
 *   opaque message&lt;V&gt;;      // the MLSMessage
 * } QueuedMessage;
 *
 * struct {
 *   uint64 position;         // how far this read saw: acknowledge it
 *   QueuedMessage messages&lt;V&gt;;
 *   opaque expired&lt;V&gt;;      // group_id&lt;V&gt; entries: groups whose unread messages retention deleted
 * } QueueBatch;
 * </pre>
 */
public record QueueBatch(long position, List<Queued> messages, List<Bytes> expired) {
  /** The media type of a binary queue read. */
  public static final String MEDIA_TYPE = "application/vnd.jmls.queue";
  private static final String[] KINDS = {"?", "proposal", "commit", "application", "welcome"};

  /** One message: its sequence, kind ("application", "commit", ...), group, bytes. */
  public record Queued(long seq, String kind, Bytes groupId, Bytes message) {}

  public QueueBatch {
    messages = Collections.unmodifiableList(new ArrayList<>(messages));
    expired = Collections.unmodifiableList(new ArrayList<>(expired));
  }

  /** The name of a wire kind code ("application", ...), or "unknown". */
  static String kindName(int code) {
    return code > 0 && code < KINDS.length ? KINDS[code] : "unknown";
  }

  static int kindCode(String kind) {
    for (int i = 1; i < KINDS.length; i++) {
      if (KINDS[i].equals(kind)) {
        return i;
      }
    }
    throw new IllegalArgumentException(kind);
  }

  public byte[] toByteArray() {
    TlsWriter w = new TlsWriter();
    w.u64(position);
    int start = w.beginVector();
    for (Queued q : messages) {
      w.u64(q.seq()).u8(kindCode(q.kind())).opaque(q.groupId()).opaque(q.message());
    }
    w.endVector(start);
    int ex = w.beginVector();
    for (Bytes g : expired) {
      w.opaque(g);
    }
    w.endVector(ex);
    return w.toByteArray();
  }

  public static QueueBatch fromBytes(byte[] b) throws DecodeException {
    return TlsReader.decode(b, r -> {
      long position = r.u64();
      List<Queued> ms = r.vector(v -> {
        long seq = v.u64();
        int kind = v.u8();
        return new Queued(seq, kindName(kind), v.opaque(), v.opaque());
      });
      List<Bytes> expired = r.vector(TlsReader::opaque);
      return new QueueBatch(position, ms, expired);
    }, Integer.MAX_VALUE);
  }
}
