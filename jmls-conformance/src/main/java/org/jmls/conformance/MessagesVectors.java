package org.jmls.conformance;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jmls.codec.TlsDecoder;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;
import org.jmls.extension.RatchetTree;
import org.jmls.message.Commit;
import org.jmls.message.GroupSecrets;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.message.WireFormat;

/**
 * messages.json: every top-level message and proposal body must decode and re-encode to the same
 * bytes; MLSMessage fields must also carry the expected wire format.
 */
public final class MessagesVectors extends EntryVectors {
  MessagesVectors() {
    super("messages.json");
  }

  /** A decoder that also re-encodes what it decoded. */
  public interface RoundTrip {
    byte[] roundTrip(byte[] input) throws Exception;
  }

  /** Field name to its decoder, in file order. Shared with the decoder property tests. */
  public static final Map<String, RoundTrip> FIELDS = new LinkedHashMap<>();
  private static final Map<String, WireFormat> WIRE_FORMATS = new LinkedHashMap<>();

  static {
    mlsMessage("mls_welcome", WireFormat.MLS_WELCOME);
    mlsMessage("mls_group_info", WireFormat.MLS_GROUP_INFO);
    mlsMessage("mls_key_package", WireFormat.MLS_KEY_PACKAGE);
    FIELDS.put("ratchet_tree", in -> RatchetTree.fromBytes(in).toByteArray());
    FIELDS.put("group_secrets", in -> TlsReader.decode(in, GroupSecrets::decode).toByteArray());
    proposal("add_proposal", Proposal.ADD);
    proposal("update_proposal", Proposal.UPDATE);
    proposal("remove_proposal", Proposal.REMOVE);
    proposal("pre_shared_key_proposal", Proposal.PSK);
    proposal("re_init_proposal", Proposal.REINIT);
    proposal("external_init_proposal", Proposal.EXTERNAL_INIT);
    proposal("group_context_extensions_proposal", Proposal.GROUP_CONTEXT_EXTENSIONS);
    FIELDS.put("commit", in -> TlsReader.decode(in, Commit::decode).toByteArray());
    mlsMessage("public_message_application", WireFormat.MLS_PUBLIC_MESSAGE);
    mlsMessage("public_message_proposal", WireFormat.MLS_PUBLIC_MESSAGE);
    mlsMessage("public_message_commit", WireFormat.MLS_PUBLIC_MESSAGE);
    mlsMessage("private_message", WireFormat.MLS_PRIVATE_MESSAGE);
  }

  private static void mlsMessage(String field, WireFormat wf) {
    WIRE_FORMATS.put(field, wf);
    FIELDS.put(field, in -> MlsMessage.fromBytes(in).toByteArray());
  }

  private static void proposal(String field, int type) {
    TlsDecoder<Proposal> body = r -> Proposal.decodeBody(type, r);
    FIELDS.put(field, in -> {
      TlsWriter w = new TlsWriter();
      TlsReader.decode(in, body).encodeBody(w);
      return w.toByteArray();
    });
  }

  @Override
  String name(JsonObject v, int index) {
    return "entry #" + index;
  }

  @Override
  void check(JsonObject v, VectorCase.Mismatches m) throws Exception {
    for (Map.Entry<String, RoundTrip> f : FIELDS.entrySet()) {
      if (!v.has(f.getKey())) {
        m.add(f.getKey() + ": missing from the vector");
        continue;
      }
      byte[] in = Json.hex(v, f.getKey());
      try {
        m.expect(f.getKey() + " round trip", Json.hex(in), Json.hex(f.getValue().roundTrip(in)));
        WireFormat wf = WIRE_FORMATS.get(f.getKey());
        if (wf != null) {
          m.expect(f.getKey() + " wire format", wf, MlsMessage.fromBytes(in).wireFormat());
        }
      } catch (Exception e) {
        m.add(f.getKey() + ": " + e.getMessage());
      }
    }
  }
}
