package org.jmls.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import mls_client.MLSClientGrpc;
import mls_client.MlsClient.CreateGroupRequest;
import mls_client.MlsClient.UnprotectRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * jmls against jmls over gRPC on loopback, through the same runner as {@code ./jmls interop run}.
 * CI runs a fixed sample (every script of seven files in suites 1 and 2, both handshake modes, and
 * deep_random in suite 1); the full sweep over all seven suites is {@code ./jmls interop run
 * --config ../shared/interop-scenarios} (README).
 */
class InteropScenariosTest {
  private static InteropServer server;
  private static ScenarioRunner runner;

  @BeforeAll
  static void start() throws Exception {
    server = InteropServer.start("127.0.0.1", 0);
    runner = new ScenarioRunner(List.of("127.0.0.1:" + server.port()));
  }

  @AfterAll
  static void stop() {
    runner.close();
    server.close();
  }

  static Path scenarios() {
    for (Path d = Paths.get("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path p = d.resolveSibling("shared").resolve("interop-scenarios");
      if (Files.isDirectory(p)) {
        return p;
      }
    }
    throw new IllegalStateException("interop scenarios not found beside the checkout (../shared/interop-scenarios)");
  }

  private static void assertAllPass(List<ScenarioRunner.Outcome> outcomes) {
    List<String> failed = outcomes.stream().filter(o -> !o.passed())
        .map(o -> o.script() + " suite " + o.suite() + (o.encrypt() ? " private" : " public") + ": " + o.error())
        .collect(Collectors.toList());
    assertEquals(List.of(), failed);
    assertTrue(outcomes.size() > 0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"application", "branch", "commit", "external_join", "external_proposals", "reinit", "welcome_join"})
  void scenarioFile_allScripts_suites1And2_bothModes(String file) throws Exception {
    List<ScenarioRunner.Outcome> out = runner.run(scenarios().resolve(file + ".json"), Set.of(1, 2), List.of(false, true),
        new PrintStream(new ByteArrayOutputStream()));
    assertAllPass(out);
  }

  /**
   * The post-quantum suites jmls to jmls, a sample: X-Wing with Ed25519 (0xF001), the P-256 hybrid
   * run by BouncyCastle's HPKE (0xF003), pure ML-KEM-1024 with P-384 (0xF008), and ML-KEM with
   * ML-DSA-65 and ML-DSA-87 (0xF00A, 0xF00B), both handshake modes.
   */
  @ParameterizedTest
  @ValueSource(strings = {"commit", "external_join", "welcome_join", "application"})
  void scenarioFile_postQuantumSuites_bothModes(String file) throws Exception {
    Set<Integer> pq = Set.of(0xF001, 0xF003, 0xF008, 0xF00A, 0xF00B);
    List<ScenarioRunner.Outcome> out = runner.run(scenarios().resolve(file + ".json"), pq, List.of(false, true),
        new PrintStream(new ByteArrayOutputStream()));
    assertAllPass(out);
    assertEquals(pq, out.stream().map(ScenarioRunner.Outcome::suite).collect(Collectors.toSet()), "every sampled suite ran");
  }

  @Test
  void deepRandom_suite1_public() throws Exception {
    assertAllPass(runner.run(scenarios().resolve("deep_random.json"), Set.of(1), List.of(false),
        new PrintStream(new ByteArrayOutputStream())));
  }

  @Test
  void service_refusesBadInputWithInvalidArgument_andUnknownStateWithFailedPrecondition() {
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    try {
      MLSClientGrpc.MLSClientBlockingStub stub = MLSClientGrpc.newBlockingStub(ch);
      int state = stub.createGroup(CreateGroupRequest.newBuilder().setGroupId(ByteString.copyFromUtf8("g"))
          .setCipherSuite(1).setIdentity(ByteString.copyFromUtf8("alice")).build()).getStateId();
      StatusRuntimeException bad = assertThrows(StatusRuntimeException.class, () -> stub.unprotect(
          UnprotectRequest.newBuilder().setStateId(state).setCiphertext(ByteString.copyFrom(new byte[] {0, 1, 0, 2, 9})).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
      StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> stub.unprotect(
          UnprotectRequest.newBuilder().setStateId(987654).build()));
      assertEquals(Status.Code.FAILED_PRECONDITION, unknown.getStatus().getCode());
    } finally {
      ch.shutdownNow();
    }
  }
}
