package org.jmls.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Copies of a CowArray stay independent through writes, shrinking and growing. */
class CowArrayTest {
  @Test
  void copiesBehaveLikeIndependentArrays() {
    Random r = new Random(11);
    List<CowArray<Integer>> arrays = new ArrayList<>(List.of(new CowArray<>(3000)));
    List<Integer[]> models = new ArrayList<>();
    models.add(new Integer[3000]);
    for (int step = 0; step < 30_000; step++) {
      int which = r.nextInt(arrays.size());
      CowArray<Integer> a = arrays.get(which);
      Integer[] m = models.get(which);
      int op = r.nextInt(1000);
      if (op < 900 && m.length > 0) {
        int i = r.nextInt(m.length);
        Integer v = r.nextInt(4) == 0 ? null : step;
        a.set(i, v);
        m[i] = v;
      } else if (op < 990 || arrays.size() > 8) {
        int len = r.nextInt(5000);
        a.resize(len);
        models.set(which, Arrays.copyOf(m, len));
      } else {
        arrays.add(a.copy());
        models.add(m.clone());
      }
      for (int k = 0; k < arrays.size(); k++) {
        Integer[] mk = models.get(k);
        assertEquals(mk.length, arrays.get(k).length());
        if (mk.length > 0) {
          int i = r.nextInt(mk.length);
          assertEquals(mk[i], arrays.get(k).get(i), "array " + k + " index " + i + " step " + step);
        }
      }
    }
    for (int k = 0; k < arrays.size(); k++) {
      for (int i = 0; i < models.get(k).length; i++) {
        assertEquals(models.get(k)[i], arrays.get(k).get(i));
      }
    }
  }
}
