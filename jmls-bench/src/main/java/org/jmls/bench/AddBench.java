package org.jmls.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jmls.group.Group;
import org.jmls.group.KeyPackageBundle;
import org.jmls.message.Proposal;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One commit adding 1,000 members, Welcome included (every KeyPackage validated: two signatures,
 * lifetime, capabilities, key uniqueness; one HPKE encryption of the group secrets per joiner; the
 * committer's path), into a fully populated group of {@code members}. The commit is discarded after
 * each operation, so every operation adds the same 1,000 to the same group.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
public class AddBench {
  @Param({"1000"})
  public int members;

  @Param({"1000"})
  public int added;

  private Group committer;
  private final List<Proposal> adds = new ArrayList<>();

  @Setup
  public void setUp() throws Exception {
    var services = BenchGroups.services();
    committer = BenchGroups.populated(services, members).first();
    for (KeyPackageBundle kp : BenchGroups.members(services, members, added)) {
      adds.add(new Proposal.Add(kp.keyPackage()));
    }
    Group.CommitResult r = addAll();
    if (r.welcome() == null || committer.hasPendingCommit()) {
      throw new IllegalStateException("no Welcome");
    }
  }

  @Benchmark
  public Group.CommitResult addAll() throws Exception {
    Group.CommitResult r = committer.commit(adds, false);
    committer.discardPendingCommit();
    return r;
  }
}
