package org.jmls.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jmls.Bytes;
import org.jmls.codec.TlsReader;
import org.jmls.extension.RatchetTree;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.message.MlsMessage;
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
 * Joining a group of {@code members} from a Welcome, validating all of it (tree hash, every parent
 * hash, every leaf signature on the services' workers, unmerged leaves, key uniqueness,
 * capabilities, credentials, lifetimes), then deriving the path secrets. Two shapes:
 *
 * <ul>
 *   <li>{@code shape=populated}: a fully populated group adds the joiner; the ratchet tree comes out
 *       of band as bytes (decoded in the measured operation);
 *   <li>{@code shape=fresh}: what users meet first: one member created the group and added everyone
 *       in one commit (a sparse tree), the ratchet tree inline in the Welcome, which the measured
 *       operation decodes from its bytes; the joiner is one of those added.
 * </ul>
 *
 * {@code workers}: 2 (one per core) or 0 (no executor).
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

  @Param({"populated"})
  public String shape;

  @Param({"2"})
  public int workers;

  private GroupServices services;
  private Welcome welcome;
  private KeyPackageBundle joiner;
  private byte[] tree;
  private byte[] welcomeBytes;
  private Group committer;

  @Setup
  public void setUp() throws Exception {
    services = workers == 0 ? BenchGroups.services().withExecutor(null) : BenchGroups.services();
    if (shape.equals("fresh")) {
      List<KeyPackageBundle> kps = BenchGroups.members(services, 0, members);
      committer = Group.create(services, GroupConfig.defaults(), Bytes.wrap(new byte[] {1}), kps.get(0), List.of());
      List<Proposal> adds = new ArrayList<>(members - 1);
      for (int i = 1; i < members; i++) {
        adds.add(new Proposal.Add(kps.get(i).keyPackage()));
      }
      Group.CommitResult r = committer.commit(List.of(), adds, false, true);
      committer.mergePendingCommit();
      welcomeBytes = r.welcome().toByteArray();
      joiner = kps.get(members / 2);
    } else if (shape.equals("populated")) {
      BenchGroups.Pair p = BenchGroups.populated(services, members - 1);
      committer = p.first();
      joiner = BenchGroups.member(services, members);
      Group.CommitResult r = committer.commit(List.of(), List.of(new Proposal.Add(joiner.keyPackage())), true, false);
      committer.mergePendingCommit();
      welcome = (Welcome) r.welcome().body();
      tree = new RatchetTree(committer.tree().toNodes()).toByteArray();
    } else {
      throw new IllegalArgumentException("shape is populated or fresh");
    }
    Group check = join();
    if (check.members().size() != members || !check.epochAuthenticator().equals(committer.epochAuthenticator())) {
      throw new IllegalStateException("the joiner does not agree with the committer");
    }
  }

  @Benchmark
  public Group join() throws Exception {
    if (welcomeBytes != null) { // as it arrives: an MLSMessage of bytes, the tree inside
      Welcome w = (Welcome) TlsReader.decode(welcomeBytes, MlsMessage::decode, 256 << 20).body();
      return Group.join(services, GroupConfig.defaults(), w, joiner, null);
    }
    return Group.join(services, GroupConfig.defaults(), welcome, joiner, RatchetTree.fromBytes(tree, 256 << 20).nodes());
  }
}
