package org.jmls.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jmls.Bytes;
import org.junit.jupiter.api.Test;

/** Copies of a KeyIndex stay independent through any mix of changes, with good and degenerate hashes. */
class KeyIndexTest {
  @Test
  void copiesBehaveLikeIndependentMaps() {
    run(new KeyIndex());
  }

  @Test
  void fullHashCollisions() {
    run(new KeyIndex(k -> k.unsafeArray()[1] & 3));
  }

  @Test
  void hashesThatDifferOnlyInTheHighBits() {
    run(new KeyIndex(k -> ((long) (k.unsafeArray()[1] & 0xFF)) << 56 | (k.unsafeArray()[0] & 1)));
  }

  private static void run(KeyIndex first) {
    Random r = new Random(7);
    List<KeyIndex> indexes = new ArrayList<>(List.of(first));
    List<Map<Bytes, Integer>> models = new ArrayList<>(List.of(new HashMap<>()));
    Bytes[] keys = new Bytes[400];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = Bytes.wrap(new byte[] {(byte) (i >> 8), (byte) i});
    }
    for (int step = 0; step < 20_000; step++) {
      int which = r.nextInt(indexes.size());
      KeyIndex ix = indexes.get(which);
      Map<Bytes, Integer> model = models.get(which);
      Bytes k = keys[r.nextInt(keys.length)];
      int op = r.nextInt(100);
      if (op < 50) {
        int v = r.nextInt(1000);
        ix.put(k, v);
        model.put(k, v);
      } else if (op < 90) {
        int v = r.nextBoolean() && model.containsKey(k) ? model.get(k) : r.nextInt(1000);
        ix.remove(k, v);
        model.remove(k, v);
      } else if (op < 97 || indexes.size() > 6) {
        assertEquals(model.size(), ix.size());
      } else {
        indexes.add(ix.copy());
        models.add(new HashMap<>(model));
      }
      for (int i = 0; i < indexes.size(); i++) {
        Bytes probe = keys[r.nextInt(keys.length)];
        assertEquals(models.get(i).getOrDefault(probe, -1), indexes.get(i).get(probe), "index " + i + " step " + step);
      }
    }
    for (int i = 0; i < indexes.size(); i++) {
      for (Bytes k : keys) {
        assertEquals(models.get(i).getOrDefault(k, -1), indexes.get(i).get(k));
      }
      assertEquals(models.get(i).size(), indexes.get(i).size());
    }
  }
}
