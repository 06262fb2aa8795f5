package org.jmls.conformance;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.crypto.CryptoProvider;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.message.GroupContext;
import org.jmls.message.PreSharedKeyId;
import org.jmls.message.ProtocolVersion;
import org.jmls.schedule.EpochSecrets;
import org.jmls.schedule.KeySchedule;

/**
 * key-schedule.json (five chained epochs per suite: GroupContext, joiner/welcome/init secrets,
 * every epoch secret, external key, exporter) and psk_secret.json (§8.4).
 */
final class KeyScheduleVectors {
  private KeyScheduleVectors() {}

  static final class Epochs extends EntryVectors.PerSuite {

    Epochs(CryptoProvider provider) {
      super("key-schedule.json", provider);
    }



    @Override
    void check(JsonObject v, MlsCrypto c, VectorCase.Mismatches m) throws Exception {
      int suite = c.cipherSuite().id();
      Bytes groupId = Bytes.wrap(Json.hex(v, "group_id"));
      byte[] init = Json.hex(v, "initial_init_secret");
      JsonArray epochs = v.getAsJsonArray("epochs");
      for (int e = 0; e < epochs.size(); e++) {
        JsonObject ep = epochs.get(e).getAsJsonObject();
        String p = "epoch " + e + " ";
        GroupContext gc = new GroupContext(ProtocolVersion.MLS10, suite, groupId, e,
            Bytes.wrap(Json.hex(ep, "tree_hash")), Bytes.wrap(Json.hex(ep, "confirmed_transcript_hash")), List.of());
        byte[] gcBytes = gc.toByteArray();
        m.expect(p + "group_context", Json.str(ep, "group_context"), Json.hex(gcBytes));
        KeySchedule.Step step = KeySchedule.next(c, init, Json.hex(ep, "commit_secret"), Json.hex(ep, "psk_secret"), gcBytes);
        EpochSecrets s = step.epoch();
        m.expect(p + "joiner_secret", Json.str(ep, "joiner_secret"), hex(step.joinerSecret()));
        m.expect(p + "welcome_secret", Json.str(ep, "welcome_secret"), hex(step.welcomeSecret()));
        m.expect(p + "init_secret", Json.str(ep, "init_secret"), hex(s.initSecret()));
        m.expect(p + "sender_data_secret", Json.str(ep, "sender_data_secret"), hex(s.senderDataSecret()));
        m.expect(p + "encryption_secret", Json.str(ep, "encryption_secret"), hex(s.encryptionSecret()));
        m.expect(p + "exporter_secret", Json.str(ep, "exporter_secret"), hex(s.exporterSecret()));
        m.expect(p + "epoch_authenticator", Json.str(ep, "epoch_authenticator"), s.epochAuthenticator().hex());
        m.expect(p + "external_secret", Json.str(ep, "external_secret"), hex(s.externalSecret()));
        m.expect(p + "confirmation_key", Json.str(ep, "confirmation_key"), hex(s.confirmationKey()));
        m.expect(p + "membership_key", Json.str(ep, "membership_key"), hex(s.membershipKey()));
        m.expect(p + "resumption_psk", Json.str(ep, "resumption_psk"), hex(s.resumptionPsk()));
        m.expect(p + "external_pub", Json.str(ep, "external_pub"), s.externalKeyPair().publicKey().hex());
        JsonObject ex = Json.obj(ep, "exporter");
        // The generators used the label field's text itself (a hex string) as the exporter label.
        m.expect(p + "exporter", Json.str(ex, "secret"),
            Json.hex(s.export(Json.str(ex, "label"), Json.hex(ex, "context"), (int) Json.num(ex, "length"))));
        init = s.initSecret().toByteArray();
      }
    }
  }

  static String hex(Secret s) {
    return Json.hex(s.toByteArray());
  }

  static final class PskSecrets extends EntryVectors.PerSuite {

    PskSecrets(CryptoProvider provider) {
      super("psk_secret.json", provider);
    }

    @Override
    String name(JsonObject v, int index) {
      return "suite " + suiteOf(v) + " " + v.getAsJsonArray("psks").size() + " psks #" + index;
    }

    @Override
    void check(JsonObject v, MlsCrypto c, VectorCase.Mismatches m) {
      List<KeySchedule.Psk> psks = new ArrayList<>();
      for (JsonElement e : v.getAsJsonArray("psks")) {
        JsonObject p = e.getAsJsonObject();
        psks.add(new KeySchedule.Psk(
            PreSharedKeyId.external(Bytes.wrap(Json.hex(p, "psk_id")), Bytes.wrap(Json.hex(p, "psk_nonce"))),
            Secret.wrap(Json.hex(p, "psk"))));
      }
      m.expect("psk_secret", Json.str(v, "psk_secret"), Json.hex(KeySchedule.pskSecret(c, psks)));
    }


  }
}
