package org.jmls.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jmls.Bytes;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.KeyPackages;
import org.jmls.message.Credential;
import org.jmls.message.Lifetime;
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
 * One application message protected by one member and unprotected (decrypted, signature verified)
 * by another, in a 100-member group of the suite given (1 by default), with every RFC 9420 check in
 * place. Issue 7's and 18's target: within 1.3× of {@link CryptoFloorBench}'s sign + verify + two
 * AEAD operations of the same suite.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AppMessageBench {
  @Param({"100", "1024"})
  public int size;

  /** The cipher suite's registry value (1, or 0xF001-0xF00B for the post-quantum draft's). */
  @Param({"1"})
  public String suite;

  private CipherSuite cs;

  private Group sender;
  private Group receiver;
  private byte[] payload;

  private KeyPackageBundle member(GroupServices s, MlsCrypto c, int i) throws Exception {
    KeyPair sig = c.generateSignatureKeyPair();
    long now = s.clock().instant().getEpochSecond();
    return KeyPackages.create(c, new Credential.Basic(Bytes.wrap(("member-" + i).getBytes())), sig, KeyPackages.defaultCapabilities(cs),
        new Lifetime(now - 3600, now + 86400), List.of(), List.of());
  }

  @Setup
  public void setup() throws Exception {
    GroupServices s = GroupServices.development();
    cs = BenchGroups.suite(suite);
    MlsCrypto c = s.provider().suite(cs);
    sender = Group.create(s, GroupConfig.defaults(), Bytes.wrap(new byte[] {1}), member(s, c, 0), List.of());
    KeyPackageBundle receiverKp = member(s, c, 1);
    List<Proposal> adds = new ArrayList<>();
    adds.add(new Proposal.Add(receiverKp.keyPackage()));
    for (int i = 2; i < 100; i++) {
      adds.add(new Proposal.Add(member(s, c, i).keyPackage()));
    }
    Group.CommitResult r = sender.commit(adds, false);
    sender.mergePendingCommit();
    receiver = Group.join(s, GroupConfig.defaults(), (Welcome) r.welcome().body(), receiverKp, null);
    if (sender.members().size() != 100 || !sender.epochAuthenticator().equals(receiver.epochAuthenticator())) {
      throw new IllegalStateException("setup did not build a 100-member group both sides agree on");
    }
    payload = new byte[size];
  }

  @Benchmark
  public Group.Processed protectAndUnprotect() throws Exception {
    MlsMessage m = sender.encrypt(payload, new byte[0]);
    return receiver.process(MlsMessage.fromBytes(m.toByteArray()));
  }
}
