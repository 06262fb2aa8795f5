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
 * checked on join (RFC 9420 §7.3, RECOMMENDED) against a clock fixed inside the window the entry's
 * leaves were generated for ({@link #clockFor}).
 */
final class PassiveClientVectors extends EntryVectors.PerSuite {
  /**
   * The time at which an entry's leaves are checked, read from the entry itself (so a file is
   * judged by its content, whatever its name): inside the joiner's KeyPackage lifetime when that is
   * a real window (passive-client-welcome: 2023-03..2024-03); else 2024-06-01, inside the window
   * of the leaves that the working group's generator gave finite lifetimes in the other files.
   */
  private static Clock clockFor(KeyPackage joiner) {
    long from = joiner.leafNode().lifetime().notBefore();
    long to = joiner.leafNode().lifetime().notAfter();
    Instant at = from > 0 && to > from && to < Long.MAX_VALUE ? Instant.ofEpochSecond(from + (to - from) / 2)
        : Instant.parse("2024-06-01T00:00:00Z");
    return Clock.fixed(at, ZoneOffset.UTC);
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
    KeyPackage kp = (KeyPackage) MlsMessage.fromBytes(Json.hex(v, "key_package")).body();
    GroupServices services = new GroupServices(provider, clockFor(kp), CredentialValidator.ACCEPT_ALL, PskStore.of(psks), null);
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
