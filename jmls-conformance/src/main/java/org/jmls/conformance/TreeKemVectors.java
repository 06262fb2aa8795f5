package org.jmls.conformance;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.codec.TlsReader;
import org.jmls.crypto.CryptoProvider;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.message.GroupContext;
import org.jmls.message.ProtocolVersion;
import org.jmls.message.UpdatePath;
import org.jmls.tree.PathKeys;
import org.jmls.tree.RatchetTree;
import org.jmls.tree.TreeKem;

/**
 * treekem.json (§7.4–§7.6): private path state loads and matches the tree; every given UpdatePath
 * merges (parent hash, leaf signature, tree hash) and decrypts for every member holding private
 * state (path secret, commit secret); and an UpdatePath we create from each such member is
 * processed by all others to the same tree hash and commit secret.
 */
final class TreeKemVectors extends EntryVectors.PerSuite {

  TreeKemVectors(CryptoProvider provider) {
    super("treekem.json", provider);
  }



  private record Member(int leaf, PathKeys keys, Secret signatureKey) {}

  @Override
  void check(JsonObject v, MlsCrypto c, VectorCase.Mismatches m) throws Exception {
    int suite = c.cipherSuite().id();
    RatchetTree tree = TreeVectors.load(c, Json.hex(v, "ratchet_tree"));
    Bytes groupId = Bytes.wrap(Json.hex(v, "group_id"));
    long epoch = Json.num(v, "epoch");
    Bytes cth = Bytes.wrap(Json.hex(v, "confirmed_transcript_hash"));

    List<Member> members = new ArrayList<>();
    for (JsonElement e : v.getAsJsonArray("leaves_private")) {
      JsonObject lp = e.getAsJsonObject();
      int leaf = (int) Json.num(lp, "index");
      PathKeys keys = new PathKeys();
      Secret encPriv = Secret.wrap(Json.hex(lp, "encryption_priv"));
      m.expect("leaf " + leaf + " encryption key", tree.leaf(leaf).encryptionKey(),
          Bytes.wrap(provider.dhPublicKey(c.cipherSuite().kem(), encPriv.unsafeArray())));
      keys.put(2 * leaf, encPriv);
      for (JsonElement pe : lp.getAsJsonArray("path_secrets")) {
        JsonObject ps = pe.getAsJsonObject();
        int node = (int) Json.num(ps, "node");
        KeyPair kp = TreeKem.nodeKeyPair(c, Json.hex(ps, "path_secret"));
        m.expect("leaf " + leaf + " path key of node " + node, tree.parentNode(node).encryptionKey(), kp.publicKey());
        keys.put(node, kp.privateKey());
      }
      members.add(new Member(leaf, keys, Secret.wrap(Json.hex(lp, "signature_priv"))));
    }

    JsonArray paths = v.getAsJsonArray("update_paths");
    for (int p = 0; p < paths.size(); p++) {
      JsonObject up = paths.get(p).getAsJsonObject();
      int sender = (int) Json.num(up, "sender");
      String tag = "update_path " + p + " (sender " + sender + ") ";
      UpdatePath path = TlsReader.decode(Json.hex(up, "update_path"), UpdatePath::decode);
      RatchetTree after = tree.copy();
      after.mergeUpdatePath(sender, path);
      m.expectTrue(tag + "new leaf signature invalid", after.leafSignatureValid(sender, groupId));
      m.expect(tag + "tree_hash_after", Json.str(up, "tree_hash_after"), Json.hex(after.treeHash()));
      byte[] gc = context(suite, groupId, epoch, after.treeHash(), cth);
      JsonArray secrets = up.getAsJsonArray("path_secrets");
      for (Member mem : members) {
        if (mem.leaf() == sender) {
          continue;
        }
        TreeKem.ReceivedPath r = TreeKem.decryptPath(after, mem.leaf(), sender, path, gc, mem.keys().copy(), null);
        JsonElement want = secrets.get(mem.leaf());
        m.expect(tag + "path secret at leaf " + mem.leaf(), want.isJsonNull() ? null : want.getAsString(),
            KeyScheduleVectors.hex(r.pathSecret()));
        m.expect(tag + "commit secret at leaf " + mem.leaf(), Json.str(up, "commit_secret"), KeyScheduleVectors.hex(r.commitSecret()));
      }
    }

    for (Member from : members) {
      RatchetTree ours = tree.copy();
      TreeKem.PendingPath pending = TreeKem.createPath(ours, from.leaf(), tree.leaf(from.leaf()), from.signatureKey(), groupId);
      byte[] gc = context(suite, groupId, epoch, ours.treeHash(), cth);
      UpdatePath path = pending.encrypt(gc, null, null);
      for (Member to : members) {
        if (to.leaf() == from.leaf()) {
          continue;
        }
        String tag = "our path from " + from.leaf() + " at " + to.leaf() + " ";
        RatchetTree theirs = tree.copy();
        theirs.mergeUpdatePath(from.leaf(), path);
        m.expect(tag + "tree hash", Json.hex(ours.treeHash()), Json.hex(theirs.treeHash()));
        TreeKem.ReceivedPath r = TreeKem.decryptPath(theirs, to.leaf(), from.leaf(), path, gc, to.keys().copy(), null);
        m.expect(tag + "commit secret", KeyScheduleVectors.hex(pending.commitSecret()), KeyScheduleVectors.hex(r.commitSecret()));
      }
      theirsValid(m, ours, from.leaf(), groupId);
    }
  }

  private static void theirsValid(VectorCase.Mismatches m, RatchetTree t, int leaf, Bytes groupId) throws Exception {
    m.expectTrue("our new leaf " + leaf + " signature invalid", t.leafSignatureValid(leaf, groupId));
    t.verifyParentHashes();
  }

  private static byte[] context(int suite, Bytes groupId, long epoch, byte[] treeHash, Bytes cth) {
    return new GroupContext(ProtocolVersion.MLS10, suite, groupId, epoch, Bytes.wrap(treeHash), cth, List.of()).toByteArray();
  }
}
