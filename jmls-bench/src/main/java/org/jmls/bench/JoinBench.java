package org.jmls.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jmls.extension.RatchetTree;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;
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
 * Joining a fully populated group of 10^4 or 10^5 members from a Welcome, with the ratchet tree
 * supplied out of band as bytes: decoding the tree, opening the Welcome, and validating all of it
 * (tree hash, every parent hash, every leaf signature on the services' two workers, unmerged leaves,
 * key uniqueness, capabilities, credentials, lifetimes), then deriving the path secrets.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
public class JoinBench {
  @Param({"10000", "100000"})
  public int members;

  private GroupServices services;
  private Welcome welcome;
  private KeyPackageBundle joiner;
  private byte[] tree;
  private Group committer;

  @Setup
  public void setUp() throws Exception {
    services = BenchGroups.services();
    BenchGroups.Pair p = BenchGroups.populated(services, members - 1);
    committer = p.first();
    joiner = BenchGroups.member(services, members);
    Group.CommitResult r = committer.commit(List.of(), List.of(new Proposal.Add(joiner.keyPackage())), true, false);
    committer.mergePendingCommit();
    welcome = (Welcome) r.welcome().body();
    tree = new RatchetTree(committer.tree().toNodes()).toByteArray();
    Group check = join();
    if (check.members().size() != members || !check.epochAuthenticator().equals(committer.epochAuthenticator())) {
      throw new IllegalStateException("the joiner does not agree with the committer");
    }
  }

  @Benchmark
  public Group join() throws Exception {
    return Group.join(services, GroupConfig.defaults(), welcome, joiner, RatchetTree.fromBytes(tree, 256 << 20).nodes());
  }
}
