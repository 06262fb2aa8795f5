package org.jmls.conformance;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.jmls.crypto.CryptoProvider;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.message.AuthenticatedContent;
import org.jmls.codec.TlsReader;
import org.jmls.schedule.OutOfOrderPolicy;
import org.jmls.schedule.RatchetKey;
import org.jmls.schedule.SecretTree;
import org.jmls.schedule.TranscriptHash;

/** secret-tree.json (§9) and transcript-hashes.json (§8.2). */
final class SecretTreeVectors {
  private SecretTreeVectors() {}

  static final class Tree extends EntryVectors.PerSuite {

    Tree(CryptoProvider provider) {
      super("secret-tree.json", provider);
    }

    @Override
    String name(JsonObject v, int index) {
      return "suite " + suiteOf(v) + " " + v.getAsJsonArray("leaves").size() + " leaves #" + index;
    }



    @Override
    void check(JsonObject v, MlsCrypto c, VectorCase.Mismatches m) throws Exception {
      JsonObject sd = Json.obj(v, "sender_data");
      RatchetKey sdk = SecretTree.senderDataKey(c, Secret.wrap(Json.hex(sd, "sender_data_secret")), Json.hex(sd, "ciphertext"));
      m.expect("sender_data key", Json.str(sd, "key"), KeyScheduleVectors.hex(sdk.key()));
      m.expect("sender_data nonce", Json.str(sd, "nonce"), KeyScheduleVectors.hex(sdk.nonce()));
      JsonArray leaves = v.getAsJsonArray("leaves");
      SecretTree tree = new SecretTree(c, Secret.wrap(Json.hex(v, "encryption_secret")), leaves.size(), OutOfOrderPolicy.DEFAULT);
      for (int leaf = 0; leaf < leaves.size(); leaf++) {
        for (JsonElement ge : leaves.get(leaf).getAsJsonArray()) {
          JsonObject g = ge.getAsJsonObject();
          int gen = (int) Json.num(g, "generation");
          String p = "leaf " + leaf + " generation " + gen + " ";
          RatchetKey h = tree.get(leaf, SecretTree.RatchetType.HANDSHAKE, gen);
          RatchetKey a = tree.get(leaf, SecretTree.RatchetType.APPLICATION, gen);
          m.expect(p + "handshake_key", Json.str(g, "handshake_key"), KeyScheduleVectors.hex(h.key()));
          m.expect(p + "handshake_nonce", Json.str(g, "handshake_nonce"), KeyScheduleVectors.hex(h.nonce()));
          m.expect(p + "application_key", Json.str(g, "application_key"), KeyScheduleVectors.hex(a.key()));
          m.expect(p + "application_nonce", Json.str(g, "application_nonce"), KeyScheduleVectors.hex(a.nonce()));
          h.destroy();
          a.destroy();
        }
      }
    }
  }

  static final class Transcript extends EntryVectors.PerSuite {

    Transcript(CryptoProvider provider) {
      super("transcript-hashes.json", provider);
    }

    @Override
    void check(JsonObject v, MlsCrypto c, VectorCase.Mismatches m) throws Exception {
      AuthenticatedContent ac = TlsReader.decode(Json.hex(v, "authenticated_content"), AuthenticatedContent::decode);
      byte[] confirmed = TranscriptHash.confirmed(c, Json.hex(v, "interim_transcript_hash_before"), ac);
      m.expect("confirmed_transcript_hash_after", Json.str(v, "confirmed_transcript_hash_after"), Json.hex(confirmed));
      byte[] tag = c.mac(Json.hex(v, "confirmation_key"), confirmed);
      m.expect("confirmation_tag", ac.auth().confirmationTag().hex(), Json.hex(tag));
      m.expect("interim_transcript_hash_after", Json.str(v, "interim_transcript_hash_after"),
          Json.hex(TranscriptHash.interim(c, confirmed, ac.auth().confirmationTag().toByteArray())));
    }


  }
}
