package org.jmls.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jmls.group.Group;
import org.jmls.group.GroupServices;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Group state persistence at 10^4 and 10^5 members (fully populated, basic credentials, after two
 * commits so the two retained past epochs exist): {@code save} and {@code load} of the whole
 * member state, and {@code heapPerMember}, the heap a loaded member retains divided by the member
 * count (used heap after full collections, before and after loading; reported as the auxiliary
 * counter {@code bytesPerMember}, with {@code stateBytes} the size of the saved state; one
 * measurement, since JMH adds such counters up over iterations).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
public class StateBench {
  @Param({"10000", "100000"})
  public int members;

  GroupServices services;
  Group group;
  byte[] saved;

  @Setup
  public void setUp() throws Exception {
    services = BenchGroups.services();
    BenchGroups.Pair p = BenchGroups.populated(services, members);
    group = p.first();
    for (int i = 0; i < 2; i++) {
      Group.CommitResult r = group.commit(List.of(), true);
      group.mergePendingCommit();
    }
    saved = group.save();
  }

  @Benchmark
  public byte[] save() {
    return group.save();
  }

  @Benchmark
  public Group load() throws Exception {
    return Group.load(services, saved);
  }

  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Heap {
    public long bytesPerMember;
    public long stateBytes;

    @Setup(Level.Iteration)
    public void clear() {
      bytesPerMember = 0;
      stateBytes = 0;
    }
  }

  private static long usedAfterGc(MemoryMXBean m) throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(50);
      used = Math.min(used, m.getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  /** One measurement per iteration: the retained heap of one loaded member, per member. */
  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @Warmup(iterations = 0)
  @Measurement(iterations = 1)
  public Group heapPerMember(Heap heap) throws Exception {
    MemoryMXBean m = ManagementFactory.getMemoryMXBean();
    long before = usedAfterGc(m);
    Group loaded = Group.load(services, saved);
    loaded.tree().treeHash();
    long after = usedAfterGc(m);
    heap.bytesPerMember = (after - before) / members;
    heap.stateBytes = saved.length;
    if (loaded.members().size() != members) {
      throw new IllegalStateException("loaded a different group");
    }
    return loaded;
  }
}
