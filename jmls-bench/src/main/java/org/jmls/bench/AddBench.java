package org.jmls.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jmls.Bytes;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
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
 * One commit adding members, Welcome included (every KeyPackage validated: two signatures,
 * lifetime, capabilities, key uniqueness; one HPKE encryption of the group secrets per joiner; the
 * committer's path). Two shapes:
 *
 * <ul>
 *   <li>{@code shape=populated}: {@code added} members into a fully populated group of {@code members};
 *   <li>{@code shape=fresh}: what users meet first, a group just created by one member that adds
 *       {@code added} members in one commit (so the tree ends up sparse); {@code members} is ignored.
 * </ul>
 *
 * {@code tree=inline} puts the ratchet tree in the Welcome's GroupInfo (so every joiner's HPKE
 * context is the whole encrypted GroupInfo, RFC 9420 §12.4.3.1); {@code tree=outOfBand} leaves it
 * out. The commit is discarded after each operation, so every operation adds the same members to the
 * same group. Two workers (one per core) unless {@code workers=0}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx16g"})
public class AddBench {
  @Param({"populated"})
  public String shape;

  @Param({"1000"})
  public int members;

  @Param({"1000"})
  public int added;

  @Param({"inline"})
  public String tree;

  @Param({"2"})
  public int workers;

  private Group committer;
  private final List<Proposal> adds = new ArrayList<>();

  @Setup
  public void setUp() throws Exception {
    var services = workers == 0 ? BenchGroups.services().withExecutor(null) : BenchGroups.services();
    if (shape.equals("fresh")) {
      committer = Group.create(services, GroupConfig.defaults(), Bytes.wrap(new byte[] {1}), BenchGroups.member(services, 0), List.of());
    } else if (shape.equals("populated")) {
      committer = BenchGroups.populated(services, members).first();
    } else {
      throw new IllegalArgumentException("shape is populated or fresh");
    }
    if (!tree.equals("inline") && !tree.equals("outOfBand")) {
      throw new IllegalArgumentException("tree is inline or outOfBand");
    }
    int first = committer.members().size();
    for (KeyPackageBundle kp : BenchGroups.members(services, first, added)) {
      adds.add(new Proposal.Add(kp.keyPackage()));
    }
    Group.CommitResult r = addAll();
    if (r.welcome() == null || committer.hasPendingCommit()) {
      throw new IllegalStateException("no Welcome");
    }
  }

  @Benchmark
  public Group.CommitResult addAll() throws Exception {
    Group.CommitResult r = committer.commit(List.of(), adds, false, tree.equals("inline"));
    committer.discardPendingCommit();
    return r;
  }
}
