package org.jmls.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.jmls.Bytes;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.DefaultCryptoProvider;
import org.jmls.crypto.MlsCrypto;
import org.jmls.message.LeafNode;
import org.jmls.tree.RatchetTree;
import org.jmls.tree.TestTrees;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Applies one UpdatePath (new keys along a random member's filtered direct path, parent hashes,
 * new leaf) to a fully populated tree and measures the new root tree hash: incrementally from the
 * per-node cache ({@code incremental}) and recomputed from scratch ({@code fullRecomputation}).
 * Issue 3: the incremental time must grow with log n.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TreeHashBench {
  @Param({"1024", "16384", "131072"})
  int leaves;

  private final MlsCrypto crypto =
      DefaultCryptoProvider.instance().suite(CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519);
  private RatchetTree tree;
  private Random random;
  private final List<List<Bytes>> keySets = new ArrayList<>();
  private final List<LeafNode> newLeaves = new ArrayList<>();
  private int next;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    tree = TestTrees.full(crypto, leaves, 42);
    tree.treeHash();
    random = new Random(43);
    for (int i = 0; i < 256; i++) {
      List<Bytes> keys = new ArrayList<>();
      for (int d = 0; d < Integer.numberOfTrailingZeros(leaves); d++) {
        keys.add(TestTrees.random(random, 32));
      }
      keySets.add(keys);
      newLeaves.add(TestTrees.leaf(random, i));
    }
  }

  private void applyOneUpdatePath() throws Exception {
    int i = next++ & 255;
    int leaf = random.nextInt(leaves);
    int pathLength = tree.filteredDirectPath(leaf).length;
    tree.applyPathKeys(leaf, keySets.get(i).subList(0, pathLength));
    tree.setLeaf(leaf, newLeaves.get(i));
  }

  @Benchmark
  public byte[] incremental() throws Exception {
    applyOneUpdatePath();
    return tree.treeHash();
  }

  @Benchmark
  public byte[] fullRecomputation() throws Exception {
    applyOneUpdatePath();
    return tree.treeHashFromScratch();
  }
}
