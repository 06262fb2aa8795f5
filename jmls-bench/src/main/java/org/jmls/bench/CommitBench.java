package org.jmls.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jmls.group.Group;
import org.jmls.group.GroupServices;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A commit with a path and no proposals (a key refresh), in groups of 10^3, 10^4 and 10^5 members:
 * {@code create} is leaf 0 building it (new path keys, HPKE to each copath resolution, signature,
 * key schedule, GroupInfo); {@code process} is leaf 1 verifying and merging it (signature, leaf and
 * path checks, decryption, path key derivation and checks, tree hash, confirmation tag). Leaf 1 is
 * leaf 0's sibling, so it derives every level of the path: the most expensive receiver.
 * {@code populated}: every parent node is non-blank (each member has committed once); {@code
 * sparse}: right after one commit added everybody, so the copath resolutions are all leaves.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
public class CommitBench {
  @Param({"1000", "10000", "100000"})
  public int members;

  @Param({"populated", "sparse"})
  public String tree;

  /** The cipher suite's registry value (1: X25519, AES-128-GCM, Ed25519; 0xF001-0xF00B: the post-quantum draft's). */
  @Param({"1"})
  public String suite;

  private Group committer;
  private Group receiver;
  private Group.CommitResult prepared;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    GroupServices s = BenchGroups.services();
    org.jmls.crypto.CipherSuite cs = BenchGroups.suite(suite);
    BenchGroups.Pair p = tree.equals("populated") ? BenchGroups.populated(s, members, cs) : BenchGroups.bulkAdded(s, members, cs);
    committer = p.first();
    receiver = p.second();
  }

  @Benchmark
  public Group.CommitResult create() throws Exception {
    Group.CommitResult r = committer.commit(List.of(), true);
    committer.discardPendingCommit();
    return r;
  }

  @State(Scope.Thread)
  public static class Prepared {
    Group.CommitResult commit;

    @Setup(Level.Invocation)
    public void prepare(CommitBench b) throws Exception {
      commit = b.committer.commit(List.of(), true);
    }

    @TearDown(Level.Invocation)
    public void finish(CommitBench b) {
      b.committer.mergePendingCommit();
      if (!b.committer.epochAuthenticator().equals(b.receiver.epochAuthenticator())) {
        throw new IllegalStateException("the receiver disagrees with the committer");
      }
    }
  }

  @Benchmark
  public Group process(Prepared p) throws Exception {
    receiver.merge((Group.StagedCommit) receiver.process(p.commit.commit()));
    return receiver;
  }
}
