package org.jmls.conformance;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.codec.TlsReader;
import org.jmls.crypto.CryptoProvider;
import org.jmls.crypto.MlsCrypto;
import org.jmls.extension.RatchetTree;
import org.jmls.message.Proposal;

/** tree-validation.json (§7.8, §7.9, §4.1.1, §7.3) and tree-operations.json (§12.1). */
final class TreeVectors {
  private TreeVectors() {}

  static org.jmls.tree.RatchetTree load(MlsCrypto c, byte[] tree) throws Exception {
    return org.jmls.tree.RatchetTree.fromNodes(c, RatchetTree.fromBytes(tree).nodes());
  }

  static byte[] encode(org.jmls.tree.RatchetTree t) {
    return new RatchetTree(t.toNodes()).toByteArray();
  }

  static final class Validation extends EntryVectors.PerSuite {

    Validation(CryptoProvider provider) {
      super("tree-validation.json", provider);
    }



    @Override
    void check(JsonObject v, MlsCrypto c, VectorCase.Mismatches m) throws Exception {
      org.jmls.tree.RatchetTree t = load(c, Json.hex(v, "tree"));
      JsonArray hashes = v.getAsJsonArray("tree_hashes");
      JsonArray resolutions = v.getAsJsonArray("resolutions");
      m.expect("node count", hashes.size(), t.nodeCount());
      for (int x = 0; x < Math.min(hashes.size(), t.nodeCount()); x++) {
        m.expect("tree hash of node " + x, hashes.get(x).getAsString(), Json.hex(t.treeHash(x)));
        List<Integer> want = new ArrayList<>();
        resolutions.get(x).getAsJsonArray().forEach(e -> want.add(e.getAsInt()));
        List<Integer> got = new ArrayList<>();
        for (int r : t.resolution(x)) {
          got.add(r);
        }
        m.expect("resolution of node " + x, want, got);
      }
      t.verifyParentHashes();
      t.verifyUnmergedLeaves();
      t.verifyLeafSignatures(Bytes.wrap(Json.hex(v, "group_id")), null);
    }
  }

  static final class Operations extends EntryVectors.PerSuite {

    Operations(CryptoProvider provider) {
      super("tree-operations.json", provider);
    }



    @Override
    void check(JsonObject v, MlsCrypto c, VectorCase.Mismatches m) throws Exception {
      org.jmls.tree.RatchetTree t = load(c, Json.hex(v, "tree_before"));
      m.expect("tree_hash_before", Json.str(v, "tree_hash_before"), Json.hex(t.treeHash()));
      Proposal p = TlsReader.decode(Json.hex(v, "proposal"), Proposal::decode);
      int sender = (int) Json.num(v, "proposal_sender");
      if (p instanceof Proposal.Add) {
        t.addLeaf(((Proposal.Add) p).keyPackage().leafNode());
      } else if (p instanceof Proposal.Update) {
        t.updateLeaf(sender, ((Proposal.Update) p).leafNode());
      } else if (p instanceof Proposal.Remove) {
        t.removeLeaf(((Proposal.Remove) p).removed());
      } else {
        m.add("unexpected proposal type " + p.proposalType());
        return;
      }
      m.expect("tree_after", Json.str(v, "tree_after"), Json.hex(encode(t)));
      m.expect("tree_hash_after", Json.str(v, "tree_hash_after"), Json.hex(t.treeHash()));
    }
  }
}
