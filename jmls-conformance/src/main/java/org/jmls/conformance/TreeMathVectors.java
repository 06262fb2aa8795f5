package org.jmls.conformance;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.jmls.tree.TreeMath;

/** tree-math.json: root, left, right, parent and sibling of every node (RFC 9420 Appendix C). */
final class TreeMathVectors extends EntryVectors {
  TreeMathVectors() {
    super("tree-math.json");
  }

  @Override
  String name(JsonObject v, int index) {
    return "n_leaves " + Json.num(v, "n_leaves") + " #" + index;
  }

  @Override
  void check(JsonObject v, VectorCase.Mismatches m) {
    int n = (int) Json.num(v, "n_leaves");
    m.expect("n_nodes", Json.num(v, "n_nodes"), (long) TreeMath.nodeWidth(n));
    m.expect("root", Json.num(v, "root"), (long) TreeMath.root(n));
    compare("left", v.getAsJsonArray("left"), x -> TreeMath.isLeaf(x) ? null : TreeMath.left(x), m);
    compare("right", v.getAsJsonArray("right"), x -> TreeMath.isLeaf(x) ? null : TreeMath.right(x), m);
    int root = TreeMath.root(n);
    compare("parent", v.getAsJsonArray("parent"), x -> x == root ? null : TreeMath.parent(x, n), m);
    compare("sibling", v.getAsJsonArray("sibling"), x -> x == root ? null : TreeMath.sibling(x, n), m);
  }

  private static void compare(String what, JsonArray expected, IntFunction<Integer> f, VectorCase.Mismatches m) {
    for (int x = 0; x < expected.size(); x++) {
      JsonElement e = expected.get(x);
      Long want = e.isJsonNull() ? null : e.getAsLong();
      Integer got = f.apply(x);
      m.expect(what + "(" + x + ")", want, got == null ? null : (long) got);
    }
  }
}
