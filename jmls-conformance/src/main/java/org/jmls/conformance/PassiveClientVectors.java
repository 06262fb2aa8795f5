package org.jmls.conformance;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.crypto.CryptoProvider;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.extension.RatchetTree;
import org.jmls.group.CredentialValidator;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.PskStore;
import org.jmls.message.KeyPackage;
import org.jmls.message.MlsMessage;
import org.jmls.message.Node;
import org.jmls.message.Welcome;

/**
 * passive-client-welcome.json, passive-client-handling-commit.json and passive-client-random.json:
 * join by Welcome (tree in the GroupInfo or out of band, with external PSKs), then process every
 * epoch's proposals and commit, checking the epoch authenticator after each. Leaf lifetimes are
 * checked on join (RFC 9420 §7.3, RECOMMENDED) against a clock fixed inside the window the file's
 * leaves were generated for: 2023-03..2024-03 for passive-client-welcome, 2024-03..2025-03 for the
 * others (their remaining leaves are valid from 0 to 2^64-1).
 */
final class PassiveClientVectors extends EntryVectors.PerSuite {
  private static Clock clockFor(String file) {
    String day = file.equals("passive-client-welcome.json") ? "2023-06-01" : "2024-06-01";
    return Clock.fixed(Instant.parse(day + "T00:00:00Z"), ZoneOffset.UTC);
  }

  PassiveClientVectors(String fileName, CryptoProvider provider) {
    super(fileName, provider);
  }

  @Override
  String name(JsonObject v, int index) {
    return "suite " + suiteOf(v) + " #" + index + " (" + v.getAsJsonArray("epochs").size() + " epochs)";
  }

  @Override
  void check(JsonObject v, MlsCrypto c, VectorCase.Mismatches m) throws Exception {
    Map<Bytes, Secret> psks = new HashMap<>();
    for (JsonElement e : v.getAsJsonArray("external_psks")) {
      JsonObject p = e.getAsJsonObject();
      psks.put(Bytes.wrap(Json.hex(p, "psk_id")), Secret.wrap(Json.hex(p, "psk")));
    }
    GroupServices services = new GroupServices(provider, clockFor(fileName()), CredentialValidator.ACCEPT_ALL, PskStore.of(psks), null);
    KeyPackage kp = (KeyPackage) MlsMessage.fromBytes(Json.hex(v, "key_package")).body();
    KeyPackageBundle bundle = new KeyPackageBundle(kp, Secret.wrap(Json.hex(v, "init_priv")),
        Secret.wrap(Json.hex(v, "encryption_priv")), Secret.wrap(Json.hex(v, "signature_priv")));
    Welcome welcome = (Welcome) MlsMessage.fromBytes(Json.hex(v, "welcome")).body();
    List<Node> tree = v.get("ratchet_tree").isJsonNull() ? null : RatchetTree.fromBytes(Json.hex(v, "ratchet_tree")).nodes();
    Group g = Group.join(services, GroupConfig.defaults(), welcome, bundle, tree);
    m.expect("initial epoch authenticator", Json.str(v, "initial_epoch_authenticator"), g.epochAuthenticator().hex());
    int n = 0;
    for (JsonElement ee : v.getAsJsonArray("epochs")) {
      JsonObject epoch = ee.getAsJsonObject();
      for (JsonElement pe : epoch.getAsJsonArray("proposals")) {
        g.process(MlsMessage.fromBytes(Json.hex(pe.getAsString())));
      }
      Group.Processed p = g.process(MlsMessage.fromBytes(Json.hex(epoch, "commit")));
      if (!(p instanceof Group.StagedCommit)) {
        m.add("epoch " + n + ": the commit processed as " + p);
        return;
      }
      g.merge((Group.StagedCommit) p);
      m.expect("epoch " + n + " authenticator", Json.str(epoch, "epoch_authenticator"), g.epochAuthenticator().hex());
      n++;
    }
  }
}
