package org.jmls.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.jmls.Bytes;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.MlsCrypto;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.KeyPackages;
import org.jmls.group.LargeGroups;
import org.jmls.message.Credential;
import org.jmls.message.Lifetime;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;

/** Groups for the benchmarks: suite 1 unless a benchmark names another, basic credentials, services with one worker per core. */
final class BenchGroups {
  static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

  /** A benchmark's {@code suite} parameter: a registry value, decimal or 0x-hex. */
  static CipherSuite suite(String value) {
    CipherSuite s = CipherSuite.of(Integer.decode(value));
    if (s == null) {
      throw new IllegalArgumentException("no cipher suite " + value);
    }
    return s;
  }

  private BenchGroups() {}

  /** One worker per core, for the library's parallel parts (path encryption, Welcome, leaf signatures). */
  static GroupServices services() {
    ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(), r -> {
      Thread t = new Thread(r, "jmls-bench-worker");
      t.setDaemon(true);
      return t;
    });
    return GroupServices.development().withExecutor(pool);
  }

  static KeyPackageBundle member(GroupServices s, int i) {
    return member(s, i, SUITE);
  }

  static KeyPackageBundle member(GroupServices s, int i, CipherSuite suite) {
    MlsCrypto c = s.provider().suite(suite);
    long now = s.clock().instant().getEpochSecond();
    try {
      return KeyPackages.create(c, new Credential.Basic(Bytes.wrap(("member-" + i).getBytes())), c.generateSignatureKeyPair(),
          KeyPackages.defaultCapabilities(suite), new Lifetime(now - 3600, now + 30 * 86400), List.of(), List.of());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code count} fresh KeyPackages numbered from {@code first}, made in parallel. */
  static List<KeyPackageBundle> members(GroupServices s, int first, int count) {
    return members(s, first, count, SUITE);
  }

  static List<KeyPackageBundle> members(GroupServices s, int first, int count, CipherSuite suite) {
    return IntStream.range(first, first + count).parallel().mapToObj(i -> member(s, i, suite)).toList();
  }

  /** Two members of one group. */
  record Pair(Group first, Group second) {}

  /** A fully populated group of {@code n} (every member has committed once), leaf 0 and leaf 1. */
  static Pair populated(GroupServices s, int n) throws Exception {
    return populated(s, n, SUITE);
  }

  static Pair populated(GroupServices s, int n, CipherSuite suite) throws Exception {
    LargeGroups.Populated p = LargeGroups.populated(s, GroupConfig.defaults(), n, suite);
    return new Pair(p.first(), p.second());
  }

  /**
   * A group right after its creator added {@code n - 1} members in one commit: only the creator's
   * path is non-blank. The second member joined from the Welcome (tree in it, fully validated).
   */
  static Pair bulkAdded(GroupServices s, int n) throws Exception {
    return bulkAdded(s, n, SUITE);
  }

  static Pair bulkAdded(GroupServices s, int n, CipherSuite suite) throws Exception {
    List<KeyPackageBundle> kps = members(s, 0, n, suite);
    Group first = Group.create(s, GroupConfig.defaults(), Bytes.wrap(new byte[] {1}), kps.get(0), List.of());
    List<Proposal> adds = new ArrayList<>(n - 1);
    for (int i = 1; i < n; i++) {
      adds.add(new Proposal.Add(kps.get(i).keyPackage()));
    }
    // The tree goes out of band: past about 60,000 members a Welcome carrying it exceeds the 16 MiB decoding default.
    Group.CommitResult r = first.commit(List.of(), adds, true, false);
    first.mergePendingCommit();
    Group second = Group.join(s, GroupConfig.defaults(), (Welcome) r.welcome().body(), kps.get(1), first.tree().toNodes());
    return check(new Pair(first, second), n);
  }

  static Pair check(Pair p, int n) {
    if (p.first().members().size() != n || !p.first().epochAuthenticator().equals(p.second().epochAuthenticator())) {
      throw new IllegalStateException("the two members do not agree on a group of " + n);
    }
    return p;
  }
}
