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

  static final class Tree implements VectorFile {
    private final CryptoProvider provider;

    Tree(CryptoProvider provider) {
      this.provider = provider;
    }

    @Override
    public String fileName() {
      return "secret-tree.json";
    }

    @Override
    public List<VectorCase> cases(JsonArray entries) {
      List<VectorCase> out = new ArrayList<>();
      for (int i = 0; i < entries.size(); i++) {
        JsonObject v = entries.get(i).getAsJsonObject();
        int suite = (int) Json.num(v, "cipher_suite");
        int n = v.getAsJsonArray("leaves").size();
        out.add(new VectorCase(fileName(), "suite " + suite + " " + n + " leaves #" + i, m -> check(v, suite, m)));
      }
      return out;
    }

    private void check(JsonObject v, int suite, VectorCase.Mismatches m) throws Exception {
      MlsCrypto c = CryptoBasicsVectors.suite(provider, suite);
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

  static final class Transcript implements VectorFile {
    private final CryptoProvider provider;

    Transcript(CryptoProvider provider) {
      this.provider = provider;
    }

    @Override
    public String fileName() {
      return "transcript-hashes.json";
    }

    @Override
    public List<VectorCase> cases(JsonArray entries) {
      List<VectorCase> out = new ArrayList<>();
      for (int i = 0; i < entries.size(); i++) {
        JsonObject v = entries.get(i).getAsJsonObject();
        int suite = (int) Json.num(v, "cipher_suite");
        out.add(new VectorCase(fileName(), "suite " + suite + " #" + i, m -> {
          MlsCrypto c = CryptoBasicsVectors.suite(provider, suite);
          AuthenticatedContent ac = TlsReader.decode(Json.hex(v, "authenticated_content"), AuthenticatedContent::decode);
          byte[] confirmed = TranscriptHash.confirmed(c, Json.hex(v, "interim_transcript_hash_before"), ac);
          m.expect("confirmed_transcript_hash_after", Json.str(v, "confirmed_transcript_hash_after"), Json.hex(confirmed));
          byte[] tag = c.mac(Json.hex(v, "confirmation_key"), confirmed);
          m.expect("confirmation_tag", ac.auth().confirmationTag().hex(), Json.hex(tag));
          m.expect("interim_transcript_hash_after", Json.str(v, "interim_transcript_hash_after"),
              Json.hex(TranscriptHash.interim(c, confirmed, ac.auth().confirmationTag().toByteArray())));
        }));
      }
      return out;
    }
  }
}
