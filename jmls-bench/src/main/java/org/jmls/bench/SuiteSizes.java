package org.jmls.bench;

import java.util.ArrayList;
import java.util.List;
import org.jmls.crypto.CipherSuite;
import org.jmls.group.Group;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;

/**
 * Wire sizes per cipher suite (issue 18's table): a KeyPackage, the Welcome that adds one member to
 * a group of 100, a commit with a path (a key refresh) in populated groups of 100 and 10,000, and
 * the first commit after a bulk add of 1,000 (every leaf in the committer's copath resolution gets
 * its own HPKE ciphertext). Sizes, not times: run it as a program.
 *
 * <pre>java -cp jmls-bench/target/benchmarks.jar org.jmls.bench.SuiteSizes [suite ...]</pre>
 */
public final class SuiteSizes {
  private SuiteSizes() {}

  public static void main(String[] args) throws Exception {
    List<CipherSuite> suites = new ArrayList<>();
    if (args.length == 0) {
      suites.add(CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519);
      for (CipherSuite s : CipherSuite.all()) {
        if (s.isPostQuantum()) {
          suites.add(s);
        }
      }
    } else {
      for (String a : args) {
        suites.add(BenchGroups.suite(a));
      }
    }
    GroupServices services = BenchGroups.services();
    System.out.println("| suite | KeyPackage | Welcome (add 1 to 100) | commit, populated 100 | commit, populated 10,000"
        + " | first commit after bulk add of 1,000 |");
    System.out.println("|---|---:|---:|---:|---:|---:|");
    for (CipherSuite s : suites) {
      KeyPackageBundle kp = BenchGroups.member(services, 0, s);
      int keyPackage = MlsMessage.of(kp.keyPackage()).toByteArray().length;

      BenchGroups.Pair hundred = BenchGroups.populated(services, 100, s);
      Group.CommitResult add = hundred.first().commit(List.of(new Proposal.Add(BenchGroups.member(services, 100, s).keyPackage())), false);
      int welcome = add.welcome().toByteArray().length;
      hundred.first().discardPendingCommit();
      int commit100 = commitSize(hundred.first());

      int commit10k = commitSize(BenchGroups.populated(services, 10_000, s).first());

      BenchGroups.Pair bulk = BenchGroups.bulkAdded(services, 1_000, s);
      int sparse = commitSize(bulk.second());

      System.out.printf("| 0x%04X %s | %,d | %,d | %,d | %,d | %,d |%n", s.id(), s.name(), keyPackage, welcome, commit100,
          commit10k, sparse);
    }
    System.exit(0);
  }

  private static int commitSize(Group g) throws Exception {
    Group.CommitResult r = g.commit(List.of(), true);
    int n = r.commit().toByteArray().length;
    g.discardPendingCommit();
    return n;
  }
}
