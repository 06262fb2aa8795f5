package org.jmls.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.Size;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsDecoder;
import org.jmls.codec.TlsReader;
import org.jmls.extension.ExternalSenders;
import org.jmls.extension.RatchetTree;
import org.jmls.message.AuthenticatedContent;
import org.jmls.message.Commit;
import org.jmls.message.ContentType;
import org.jmls.message.Credential;
import org.jmls.message.Extension;
import org.jmls.message.GroupContext;
import org.jmls.message.GroupInfo;
import org.jmls.message.GroupSecrets;
import org.jmls.message.KeyPackage;
import org.jmls.message.LeafNode;
import org.jmls.message.MlsMessage;
import org.jmls.message.PrivateMessageContent;
import org.jmls.message.Proposal;
import org.jmls.message.SenderData;
import org.jmls.message.UpdatePath;
import org.jmls.message.Welcome;

/**
 * The decoder is a security boundary: for any input it returns a value or a {@link
 * DecodeException}, nothing else. Every message of messages.json is mutated, truncated and
 * extended, and random bytes go to every top-level decoder: 4 x 25,000 generated inputs. A
 * successful decode must re-encode to the same bytes (the codec is canonical), and an internal
 * failure caught at the boundary counts as a test failure.
 */
class DecoderPropertiesTest {
  private static final int TRIES = 25_000;

  /** Samples: (field name, bytes) from every entry of messages.json. */
  private static final List<Map.Entry<String, byte[]>> SAMPLES = new ArrayList<>();

  /** Every top-level decoder, each re-encoding what it decoded. */
  private static final Map<String, MessagesVectors.RoundTrip> DECODERS = new LinkedHashMap<>(MessagesVectors.FIELDS);

  static {
    try {
      JsonArray entries = Json.readArray(Conformance.locateVectors().resolve("messages.json"));
      for (int i = 0; i < entries.size(); i++) {
        JsonObject v = entries.get(i).getAsJsonObject();
        for (String field : MessagesVectors.FIELDS.keySet()) {
          SAMPLES.add(Map.entry(field, Json.hex(v, field)));
        }
      }
    } catch (Exception e) {
      throw new ExceptionInInitializerError(e);
    }
    add("key_package", KeyPackage::decode, KeyPackage::toByteArray);
    add("leaf_node", LeafNode::decode, LeafNode::toByteArray);
    add("group_info", GroupInfo::decode, GroupInfo::toByteArray);
    add("welcome", Welcome::decode, Welcome::toByteArray);
    add("group_context", GroupContext::decode, GroupContext::toByteArray);
    add("update_path", UpdatePath::decode, UpdatePath::toByteArray);
    add("credential", Credential::decode, Credential::toByteArray);
    add("sender_data", SenderData::decode, SenderData::toByteArray);
    add("authenticated_content", AuthenticatedContent::decode, AuthenticatedContent::toByteArray);
    add("proposal", Proposal::decode, Proposal::toByteArray);
    add("extensions", Extension::decodeList, l -> new org.jmls.codec.TlsWriter().vector(l).toByteArray());
    add("external_senders", r -> new ExternalSenders(r.vector(ExternalSenders.ExternalSender::decode)),
        s -> new org.jmls.codec.TlsWriter().vector(s.senders()).toByteArray());
    for (ContentType t : ContentType.values()) {
      add("private_message_content_" + t, r -> PrivateMessageContent.decode(r, t), PrivateMessageContent::toByteArray);
    }
  }

  private interface Encoder<T> {
    byte[] encode(T value);
  }

  private static <T> void add(String name, TlsDecoder<T> d, Encoder<T> e) {
    DECODERS.put(name, in -> e.encode(TlsReader.decode(in, d)));
  }

  /** Decodes {@code input}; returns true if it decoded. Fails the test on any other outcome. */
  private static boolean decodeSafely(String decoder, MessagesVectors.RoundTrip rt, byte[] input) {
    byte[] out;
    try {
      out = rt.roundTrip(input);
    } catch (DecodeException e) {
      assertFalse(e.reason().startsWith("internal"), decoder + ": decoder bug caught at the boundary: " + e.reason());
      assertTrue(e.offset() >= 0 && e.offset() <= input.length, decoder + ": offset out of range " + e.offset());
      return false;
    } catch (Throwable t) {
      fail(decoder + " let " + t + " escape", t);
      return false;
    }
    assertArrayEquals(input, out, decoder + ": decoded input did not re-encode identically");
    return true;
  }

  @Provide
  Arbitrary<Tuple.Tuple2<Integer, List<Integer>>> mutations() {
    return Combinators.combine(
            Arbitraries.integers().between(0, SAMPLES.size() - 1),
            Arbitraries.integers().between(0, Integer.MAX_VALUE).list().ofMinSize(1).ofMaxSize(6))
        .as(Tuple::of);
  }

  @Property(tries = TRIES)
  void mutatedMessages_decodeOrFailCleanly(@ForAll("mutations") Tuple.Tuple2<Integer, List<Integer>> m) {
    Map.Entry<String, byte[]> s = SAMPLES.get(m.get1());
    byte[] input = s.getValue().clone();
    for (int r : m.get2()) {
      // Low bits pick the position, high bits the new value: flips hit headers, tags and lengths alike.
      input[r % input.length] = (byte) (r >>> 20);
    }
    decodeSafely(s.getKey(), DECODERS.get(s.getKey()), input);
  }

  @Property(tries = TRIES)
  void truncatedMessages_failCleanly(
      @ForAll("sampleIndex") int index, @ForAll("fraction") double fraction) {
    Map.Entry<String, byte[]> s = SAMPLES.get(index);
    int cut = (int) (fraction * s.getValue().length);
    byte[] input = Arrays.copyOf(s.getValue(), Math.min(cut, s.getValue().length - 1));
    assertFalse(decodeSafely(s.getKey(), DECODERS.get(s.getKey()), input), s.getKey() + " accepted a truncated input");
  }

  @Property(tries = TRIES)
  void extendedMessages_rejectTrailingBytes(
      @ForAll("sampleIndex") int index, @ForAll @Size(min = 1, max = 64) List<Byte> extra) {
    Map.Entry<String, byte[]> s = SAMPLES.get(index);
    byte[] input = Arrays.copyOf(s.getValue(), s.getValue().length + extra.size());
    for (int i = 0; i < extra.size(); i++) {
      input[s.getValue().length + i] = extra.get(i);
    }
    assertFalse(decodeSafely(s.getKey(), DECODERS.get(s.getKey()), input), s.getKey() + " accepted trailing bytes");
  }

  @Provide
  Arbitrary<Integer> sampleIndex() {
    return Arbitraries.integers().between(0, SAMPLES.size() - 1);
  }

  @Provide
  Arbitrary<Double> fraction() {
    return Arbitraries.doubles().between(0, 1);
  }

  @Provide
  Arbitrary<String> decoderName() {
    return Arbitraries.of(new ArrayList<>(DECODERS.keySet()));
  }

  @Property(tries = TRIES)
  void randomBytes_toEveryDecoder_decodeOrFailCleanly(
      @ForAll("decoderName") String decoder, @ForAll @Size(max = 300) byte[] input) {
    decodeSafely(decoder, DECODERS.get(decoder), input);
  }

  /** Every strict prefix of a few messages of each kind fails: the input fed one byte at a time. */
  @net.jqwik.api.Example
  void everyPrefix_ofEveryKind_failsCleanly() {
    Map<String, Integer> seen = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> s : SAMPLES) {
      if (seen.merge(s.getKey(), 1, Integer::sum) > 3) {
        continue;
      }
      byte[] whole = s.getValue();
      for (int n = 0; n < whole.length; n++) {
        assertFalse(decodeSafely(s.getKey(), DECODERS.get(s.getKey()), Arrays.copyOf(whole, n)),
            s.getKey() + " accepted a prefix of " + n + " bytes");
      }
      assertTrue(decodeSafely(s.getKey(), DECODERS.get(s.getKey()), whole));
    }
  }

  @net.jqwik.api.Example
  void hugeClaimedLength_isRefusedWithoutAllocation() {
    // An MLSMessage whose first vector claims 2^30-1 bytes.
    byte[] input = {0, 1, 0, 2, (byte) 0xbf, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2};
    assertThrows(DecodeException.class, () -> MlsMessage.fromBytes(input));
  }

  @net.jqwik.api.Example
  void commitAndRatchetTree_decodersRegistered() {
    assertTrue(DECODERS.containsKey("commit") && DECODERS.containsKey("ratchet_tree"));
    assertTrue(DECODERS.size() >= 30, "decoders: " + DECODERS.keySet());
    Commit.class.getName();
    RatchetTree.class.getName();
    GroupSecrets.class.getName();
  }
}
