package org.jmls.federation;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.ds.Federated;
import org.jmls.ds.GroupDirectory;
import org.jmls.message.MlsMessage;

/**
 * What a hub sends a follower ({@code POST /fed/notify}), written by the hub ({@link Notifier}) and
 * read by the follower: {@code {"entries": [{"seq", "groupId" (hex), "kind", "message" (base64),
 * "readers": [device ids]}], "previous": seq}}, {@code previous} only when the delivery sent just
 * before it was still unanswered. The answer is {@code {"stored": last seq stored, "refused":
 * [reasons]}}.
 */
final class Delivery {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Delivery() {}

  /** The body of a delivery of {@code batch}; {@code previous} 0 when nothing sent before it is unanswered. */
  static byte[] encode(List<Federated.Entry> batch, long previous) {
    List<Map<String, Object>> entries = new ArrayList<>();
    for (Federated.Entry e : batch) {
      entries.add(Map.of("seq", e.seq(), "groupId", e.groupId().hex(), "kind", e.kind().name(),
          "message", Base64.getEncoder().encodeToString(e.message().unsafeArray()), "readers", e.readers()));
    }
    try {
      return JSON.writeValueAsBytes(previous == 0 ? Map.of("entries", entries) : Map.of("entries", entries, "previous", previous));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * How long a follower holds a pipelined delivery for the one before it (sent a moment earlier on
   * another connection, so normally milliseconds); past it the hub is told, and resends.
   */
  static final long ORDER_WAIT_MILLIS = 1_000;
  /** Deliveries a follower holds at once for one hub (the hub has at most {@link Notifier#IN_FLIGHT} out); more are refused at once. */
  static final int ORDER_WAITERS = 2 * Notifier.IN_FLIGHT;

  /**
   * A delivery read: its entries, and {@code previous} (0 when absent), the last sequence of the
   * delivery sent before it and unanswered then.
   */
  record Parsed(List<Federated.Entry> entries, long previous) {}

  /**
   * A delivery as a follower reads it. What a correct hub never sends refuses the whole delivery
   * (nothing stored): entries out of order, more than {@value Notifier#BATCH}, an entry addressed to no
   * one or to a device of another domain than {@code localDomain}, a message that is not an
   * MLSMessage, a {@code previous} that is not a positive sequence number.
   */
  static Parsed parse(byte[] body, String localDomain) throws ValidationException {
    try {
      Map<?, ?> m = JSON.readValue(body, Map.class);
      Object p = m.get("previous");
      if (p != null && (!(p instanceof Number n) || n.longValue() <= 0)) {
        throw new ValidationException("fed.request-field", "'previous' is a positive sequence number");
      }
      List<Federated.Entry> out = new ArrayList<>();
      long previous = 0;
      for (Object o : (List<?>) m.get("entries")) {
        Map<?, ?> e = (Map<?, ?>) o;
        long seq = ((Number) e.get("seq")).longValue();
        if (seq <= previous) {
          throw new ValidationException("fed.request-field", "entries are in increasing sequence order, from 1");
        }
        previous = seq;
        List<String> readers = new ArrayList<>();
        for (Object r : (List<?>) e.get("readers")) {
          if (!localDomain.equals(Notifier.domainOfDevice((String) r))) {
            throw new ValidationException("fed.request-field", "entry " + seq + " is addressed to " + r + ", not a device of " + localDomain);
          }
          readers.add((String) r);
        }
        if (readers.isEmpty()) {
          throw new ValidationException("fed.request-field", "entry " + seq + " is addressed to no device");
        }
        byte[] message = Base64.getDecoder().decode((String) e.get("message"));
        try {
          MlsMessage.fromBytes(message);
        } catch (DecodeException notMls) {
          throw new ValidationException("fed.request-field", "entry " + seq + " is not an MLSMessage: " + notMls.getMessage());
        }
        out.add(new Federated.Entry(seq, Bytes.fromHex((String) e.get("groupId")), GroupDirectory.Kind.valueOf((String) e.get("kind")),
            Bytes.wrap(message), readers));
      }
      if (out.size() > Notifier.BATCH) {
        throw new ValidationException("fed.request-field", "at most " + Notifier.BATCH + " entries per delivery");
      }
      return new Parsed(out, p == null ? 0 : ((Number) p).longValue());
    } catch (ValidationException e) {
      throw e;
    } catch (java.io.IOException | RuntimeException e) {
      throw new ValidationException("fed.request-field", "a delivery is {\"entries\": [{seq, groupId, kind, message, readers}]}");
    }
  }

}
