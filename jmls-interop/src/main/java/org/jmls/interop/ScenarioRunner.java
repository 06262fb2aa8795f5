package org.jmls.interop;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import mls_client.MLSClientGrpc;
import mls_client.MlsClient.*;

/**
 * Runs the working group's interop scripts ({@code interop-scenarios/*.json}) against one or more
 * {@code mls_client.MLSClient} servers, the way the working group's test runner does: every
 * assignment of clients to actors, each cipher suite all clients support, both handshake modes. A
 * step fails on an RPC error, a mismatched epoch authenticator, or a wrong decrypted plaintext.
 */
public final class ScenarioRunner implements AutoCloseable {
  /** One client under test. */
  private static final class Client {
    final String address;
    final ManagedChannel channel;
    final MLSClientGrpc.MLSClientBlockingStub stub;
    final Set<Integer> suites = new TreeSet<>();

    Client(String address) {
      this.address = address;
      String[] hp = address.split(":");
      channel = NettyChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext().maxInboundMessageSize(64 << 20).build();
      stub = MLSClientGrpc.newBlockingStub(channel);
      suites.addAll(stub.supportedCiphersuites(SupportedCiphersuitesRequest.getDefaultInstance()).getCiphersuitesList());
    }

    MLSClientGrpc.MLSClientBlockingStub stub() {
      return stub.withDeadlineAfter(120, TimeUnit.SECONDS);
    }
  }

  /** Result of one script/suite/mode/assignment. */
  public record Outcome(String script, int suite, boolean encrypt, String assignment, String error) {
    public boolean passed() {
      return error == null;
    }
  }

  private final List<Client> clients = new ArrayList<>();
  private final SecureRandom random = new SecureRandom();

  public ScenarioRunner(List<String> addresses) {
    for (String a : addresses) {
      clients.add(new Client(a));
    }
  }

  @Override
  public void close() {
    for (Client c : clients) {
      c.channel.shutdownNow();
    }
  }

  /** Suites every client supports. */
  public Set<Integer> commonSuites() {
    Set<Integer> s = new TreeSet<>(clients.get(0).suites);
    for (Client c : clients) {
      s.retainAll(c.suites);
    }
    return s;
  }

  /**
   * Runs every script of {@code config} for {@code suites} and {@code modes}; prints one line per
   * script/suite/mode (with the assignment when more than one client) and returns the outcomes.
   */
  public List<Outcome> run(Path config, Set<Integer> suites, List<Boolean> modes, PrintStream out) throws IOException {
    JsonObject scripts = JsonParser.parseString(Files.readString(config)).getAsJsonObject().getAsJsonObject("scripts");
    String file = config.getFileName().toString().replaceFirst("\\.json$", "");
    List<Outcome> results = new ArrayList<>();
    for (Map.Entry<String, JsonElement> e : scripts.entrySet()) {
      JsonArray steps = e.getValue().getAsJsonArray();
      List<String> actors = actors(steps);
      for (int suite : suites) {
        for (boolean encrypt : modes) {
          for (int[] assignment : assignments(actors.size())) {
            String label = file + "/" + e.getKey() + " suite " + (suite > 0xFF ? String.format("0x%04X", suite) : String.valueOf(suite)) + " " + (encrypt ? "private" : "public")
                + (clients.size() > 1 ? " " + describe(actors, assignment) : "");
            String error;
            try {
              new Run(actors, assignment, suite, encrypt).execute(steps);
              error = null;
            } catch (StepFailure f) {
              error = f.getMessage();
            } catch (StatusRuntimeException f) {
              error = "RPC error: " + f.getStatus();
            } catch (RuntimeException f) {
              error = f.toString();
            }
            results.add(new Outcome(file + "/" + e.getKey(), suite, encrypt, describe(actors, assignment), error));
            out.println(label + ": " + (error == null ? "passed" : "FAILED: " + error));
          }
        }
      }
    }
    return results;
  }

  private String describe(List<String> actors, int[] assignment) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < actors.size(); i++) {
      b.append(i == 0 ? "" : ",").append(actors.get(i)).append('=').append(assignment[i]);
    }
    return b.toString();
  }

  /** Most assignments tried per script; beyond, a fixed sample ({@link #assignments}). */
  static final int MAX_ASSIGNMENTS = 4096;

  /**
   * The assignments of the clients to {@code n} actors: all of them (clients^n) while there are at
   * most {@link #MAX_ASSIGNMENTS}; for scripts with more actors (deep_random has hundreds), a fixed
   * sample: each client playing every actor, the clients in turn (actor i on client i mod k, and
   * shifted by one), and 4 assignments drawn with a fixed seed, so every run tries the same ones.
   */
  private List<int[]> assignments(int n) {
    List<int[]> out = new ArrayList<>();
    int k = clients.size();
    long total = 1;
    for (int i = 0; i < n && total <= MAX_ASSIGNMENTS; i++) {
      total *= k;
    }
    if (total > MAX_ASSIGNMENTS) {
      for (int c = 0; c < k; c++) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, c);
        out.add(a);
      }
      for (int shift = 0; shift < Math.min(k, 2); shift++) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
          a[i] = (i + shift) % k;
        }
        out.add(a);
      }
      java.util.Random r = new java.util.Random(9420);
      for (int j = 0; j < 4; j++) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
          a[i] = r.nextInt(k);
        }
        out.add(a);
      }
      return out;
    }
    for (long code = 0; code < total; code++) {
      int[] a = new int[n];
      long c = code;
      for (int i = 0; i < n; i++) {
        a[i] = (int) (c % k);
        c /= k;
      }
      out.add(a);
    }
    return out;
  }

  private static final String[] ACTOR_FIELDS = {"actor", "joiner", "signer", "proposer", "committer", "welcomer", "member"};

  private static List<String> actors(JsonArray steps) {
    Set<String> names = new LinkedHashSet<>();
    for (JsonElement se : steps) {
      JsonObject s = se.getAsJsonObject();
      for (String f : ACTOR_FIELDS) {
        if (s.has(f)) {
          names.add(s.get(f).getAsString());
        }
      }
      for (String f : new String[] {"members", "joiners", "clients"}) {
        if (s.has(f)) {
          s.getAsJsonArray(f).forEach(x -> names.add(x.getAsString()));
        }
      }
      if (s.has("removed")) {
        names.add(s.get("removed").getAsString());
      }
    }
    return new ArrayList<>(names);
  }

  private static final class StepFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StepFailure(String message) {
      super(message);
    }
  }

  /** One execution of one script. */
  private final class Run {
    final Map<String, Client> clientOf = new HashMap<>();
    final int suite;
    final boolean encrypt;
    final Map<String, Integer> stateOf = new HashMap<>();
    final Map<String, Integer> transactionOf = new HashMap<>();
    final Map<String, Integer> signerOf = new HashMap<>();
    final Map<String, Integer> signerIndex = new HashMap<>();
    final List<String> signersInGroup = new ArrayList<>();
    /** Per step index: its output (a message, a key package, a PSK id, a ciphertext...). */
    final Map<Integer, ByteString> output = new HashMap<>();
    final Map<Integer, JsonObject> stepOf = new HashMap<>();
    final Map<Integer, String> proposer = new HashMap<>();

    Run(List<String> actors, int[] assignment, int suite, boolean encrypt) {
      for (int i = 0; i < actors.size(); i++) {
        clientOf.put(actors.get(i), clients.get(assignment[i]));
      }
      this.suite = suite;
      this.encrypt = encrypt;
    }

    MLSClientGrpc.MLSClientBlockingStub rpc(String actor) {
      return clientOf.get(actor).stub();
    }

    int state(String actor) {
      Integer s = stateOf.get(actor);
      if (s == null) {
        throw new StepFailure(actor + " has no group state");
      }
      return s;
    }

    ByteString identity(String actor) {
      return ByteString.copyFromUtf8(actor);
    }

    ByteString randomBytes(int n) {
      byte[] b = new byte[n];
      random.nextBytes(b);
      return ByteString.copyFrom(b);
    }

    void execute(JsonArray steps) {
      for (int i = 0; i < steps.size(); i++) {
        JsonObject s = steps.get(i).getAsJsonObject();
        stepOf.put(i, s);
        try {
          step(i, s);
        } catch (StepFailure | StatusRuntimeException e) {
          throw new StepFailure("step " + i + " (" + s.get("action").getAsString() + "): " + e.getMessage());
        }
      }
    }

    String str(JsonObject s, String f) {
      return s.get(f).getAsString();
    }

    List<String> names(JsonObject s, String f) {
      List<String> out = new ArrayList<>();
      if (s.has(f)) {
        s.getAsJsonArray(f).forEach(x -> out.add(x.getAsString()));
      }
      return out;
    }

    boolean flag(JsonObject s, String... fields) {
      for (String f : fields) {
        if (s.has(f) && s.get(f).getAsBoolean()) {
          return true;
        }
      }
      return false;
    }

    void step(int i, JsonObject s) {
      String action = str(s, "action");
      switch (action) {
        case "createGroup": createGroup(s); break;
        case "createKeyPackage": output.put(i, createKeyPackage(str(s, "actor"))); break;
        case "addProposal":
          output.put(i, rpc(str(s, "actor")).addProposal(AddProposalRequest.newBuilder().setStateId(state(str(s, "actor")))
              .setKeyPackage(output.get(s.get("keyPackage").getAsInt())).build()).getProposal());
          break;
        case "updateProposal":
          output.put(i, rpc(str(s, "actor")).updateProposal(UpdateProposalRequest.newBuilder().setStateId(state(str(s, "actor"))).build()).getProposal());
          break;
        case "removeProposal":
          output.put(i, rpc(str(s, "actor")).removeProposal(RemoveProposalRequest.newBuilder().setStateId(state(str(s, "actor")))
              .setRemovedId(identity(str(s, "removed"))).build()).getProposal());
          break;
        case "externalPSKProposal":
          output.put(i, rpc(str(s, "actor")).externalPSKProposal(ExternalPSKProposalRequest.newBuilder().setStateId(state(str(s, "actor")))
              .setPskId(output.get(s.get("pskID").getAsInt())).build()).getProposal());
          break;
        case "resumptionPSKProposal":
          output.put(i, rpc(str(s, "actor")).resumptionPSKProposal(ResumptionPSKProposalRequest.newBuilder().setStateId(state(str(s, "actor")))
              .setEpochId(s.get("epochID").getAsLong()).build()).getProposal());
          break;
        case "groupContextExtensionsProposal":
          output.put(i, rpc(str(s, "actor")).groupContextExtensionsProposal(GroupContextExtensionsProposalRequest.newBuilder()
              .setStateId(state(str(s, "actor"))).addAllExtensions(extensions(s)).build()).getProposal());
          break;
        case "installExternalPSK": output.put(i, installPsk(names(s, "clients"))); break;
        case "fullCommit": fullCommit(s); break;
        case "externalJoin": externalJoin(s); break;
        case "protect": {
          String a = str(s, "actor");
          output.put(i, rpc(a).protect(ProtectRequest.newBuilder().setStateId(state(a))
              .setAuthenticatedData(ByteString.copyFromUtf8(str(s, "authenticatedData")))
              .setPlaintext(ByteString.copyFromUtf8(str(s, "plaintext"))).build()).getCiphertext());
          break;
        }
        case "unprotect": {
          String a = str(s, "actor");
          int ct = s.get("ciphertext").getAsInt();
          UnprotectResponse r = rpc(a).unprotect(UnprotectRequest.newBuilder().setStateId(state(a)).setCiphertext(output.get(ct)).build());
          JsonObject p = stepOf.get(ct);
          if (!r.getPlaintext().toStringUtf8().equals(str(p, "plaintext"))
              || !r.getAuthenticatedData().toStringUtf8().equals(str(p, "authenticatedData"))) {
            throw new StepFailure("wrong plaintext or authenticated data");
          }
          break;
        }
        case "newMemberAddProposal": {
          String joiner = str(s, "joiner");
          NewMemberAddProposalResponse r = rpc(joiner).newMemberAddProposal(NewMemberAddProposalRequest.newBuilder()
              .setGroupInfo(groupInfo(str(s, "actor"), false).getGroupInfo()).setIdentity(identity(joiner)).build());
          transactionOf.put(joiner, r.getTransactionId());
          output.put(i, r.getProposal());
          break;
        }
        case "addExternalSigner": {
          String signer = str(s, "signer");
          CreateExternalSignerResponse cs = rpc(signer).createExternalSigner(CreateExternalSignerRequest.newBuilder()
              .setCipherSuite(suite).setIdentity(identity(signer)).build());
          signerOf.put(signer, cs.getSignerId());
          signerIndex.put(signer, signersInGroup.size());
          signersInGroup.add(signer);
          output.put(i, rpc(str(s, "actor")).addExternalSigner(AddExternalSignerRequest.newBuilder()
              .setStateId(state(str(s, "actor"))).setExternalSender(cs.getExternalSender()).build()).getProposal());
          break;
        }
        case "externalSignerProposal": {
          String signer = str(s, "actor");
          GroupInfoResponse gi = groupInfo(str(s, "member"), true);
          output.put(i, rpc(signer).externalSignerProposal(ExternalSignerProposalRequest.newBuilder()
              .setSignerId(signerOf.get(signer)).setSignerIndex(signerIndex.get(signer))
              .setGroupInfo(gi.getGroupInfo()).setRatchetTree(gi.getRatchetTree())
              .setDescription(description(s.getAsJsonObject("description"), str(s, "member"))).build()).getProposal());
          break;
        }
        case "reinit": reinit(s); break;
        case "branch": branch(s); break;
        default: throw new StepFailure("unknown action " + action);
      }
    }

    List<Extension> extensions(JsonObject s) {
      List<Extension> out = new ArrayList<>();
      if (s.has("extensions")) {
        for (JsonElement e : s.getAsJsonArray("extensions")) {
          JsonObject x = e.getAsJsonObject();
          out.add(Extension.newBuilder().setExtensionType(x.get("extension_type").getAsInt())
              .setExtensionData(ByteString.copyFrom(Base64.getDecoder().decode(x.get("extension_data").getAsString()))).build());
        }
      }
      return out;
    }

    ByteString createKeyPackage(String actor) {
      CreateKeyPackageResponse r = rpc(actor).createKeyPackage(CreateKeyPackageRequest.newBuilder()
          .setCipherSuite(suite).setIdentity(identity(actor)).build());
      transactionOf.put(actor, r.getTransactionId());
      return r.getKeyPackage();
    }

    ByteString installPsk(List<String> actors) {
      ByteString id = randomBytes(16);
      ByteString secret = randomBytes(32);
      for (String a : actors) {
        Integer target = stateOf.containsKey(a) ? stateOf.get(a) : transactionOf.get(a);
        if (target == null) {
          throw new StepFailure(a + " has neither state nor transaction for a PSK");
        }
        rpc(a).storePSK(StorePSKRequest.newBuilder().setStateOrTransactionId(target).setPskId(id).setPskSecret(secret).build());
      }
      pskSecrets.put(id, secret);
      return id;
    }

    void createGroup(JsonObject s) {
      String actor = str(s, "actor");
      CreateGroupResponse r = rpc(actor).createGroup(CreateGroupRequest.newBuilder().setGroupId(randomBytes(16))
          .setCipherSuite(suite).setEncryptHandshake(encrypt).setIdentity(identity(actor)).build());
      stateOf.put(actor, r.getStateId());
      List<String> members = names(s, "members");
      if (members.isEmpty()) {
        return;
      }
      CommitRequest.Builder commit = CommitRequest.newBuilder().setStateId(state(actor));
      for (String m : members) {
        commit.addByValue(ProposalDescription.newBuilder().setProposalType(ByteString.copyFromUtf8("add"))
            .setKeyPackage(createKeyPackage(m)));
      }
      CommitResponse c = rpc(actor).commit(commit.build());
      List<String> all = new ArrayList<>();
      all.add(actor);
      handled(actor, rpc(actor).handlePendingCommit(HandlePendingCommitRequest.newBuilder().setStateId(state(actor)).build()));
      for (String m : members) {
        join(m, c.getWelcome(), ByteString.EMPTY);
        all.add(m);
      }
      agree(all);
    }

    final Map<String, ByteString> auth = new HashMap<>();

    void epoch(String actor, ByteString authenticator) {
      auth.put(actor, authenticator);
    }

    /**
     * The actor's state after it handled a commit: the state id it answers with (a client may
     * number each state anew, as bcmls does) and the epoch authenticator it reports.
     */
    void handled(String actor, HandleCommitResponse r) {
      stateOf.put(actor, r.getStateId());
      epoch(actor, r.getEpochAuthenticator());
    }

    void join(String joiner, ByteString welcome, ByteString tree) {
      Integer t = transactionOf.get(joiner);
      if (t == null) {
        throw new StepFailure(joiner + " has no KeyPackage to join with");
      }
      JoinGroupResponse r = rpc(joiner).joinGroup(JoinGroupRequest.newBuilder().setTransactionId(t).setWelcome(welcome)
          .setEncryptHandshake(encrypt).setIdentity(identity(joiner)).setRatchetTree(tree).build());
      stateOf.put(joiner, r.getStateId());
      epoch(joiner, r.getEpochAuthenticator());
    }

    /** Every listed actor reports the same epoch authenticator. */
    void agree(List<String> actors) {
      ByteString first = null;
      for (String a : actors) {
        ByteString mine = rpc(a).stateAuth(StateAuthRequest.newBuilder().setStateId(state(a)).build()).getStateAuthSecret();
        ByteString reported = auth.get(a);
        if (reported != null && !reported.equals(mine)) {
          throw new StepFailure(a + " reported an epoch authenticator that differs from its state");
        }
        if (first == null) {
          first = mine;
        } else if (!first.equals(mine)) {
          throw new StepFailure("epoch authenticators differ between " + actors.get(0) + " and " + a);
        }
      }
    }

    ProposalDescription description(JsonObject d, String member) {
      ProposalDescription.Builder b = ProposalDescription.newBuilder();
      String type = str(d, "proposalType");
      b.setProposalType(ByteString.copyFromUtf8(type));
      if (d.has("keyPackage")) {
        b.setKeyPackage(output.get(d.get("keyPackage").getAsInt()));
      }
      if (d.has("removed")) {
        b.setRemovedId(identity(str(d, "removed")));
      }
      if (d.has("pskID")) {
        b.setPskId(output.get(d.get("pskID").getAsInt()));
      }
      if (d.has("epochID")) {
        b.setEpochId(d.get("epochID").getAsLong());
      }
      b.addAllExtensions(extensions(d));
      if (type.equals("reinit")) {
        b.setGroupId(flag(d, "changeGroupID") ? randomBytes(16) : currentGroupId(member));
        b.setCipherSuite(flag(d, "changeCipherSuite", "changeCiphersuite") ? otherSuite() : suite);
      }
      return b.build();
    }

    ByteString currentGroupId(String member) {
      try {
        org.jmls.message.GroupInfo gi = (org.jmls.message.GroupInfo) org.jmls.message.MlsMessage
            .fromBytes(groupInfo(member, false).getGroupInfo().toByteArray()).body();
        return ByteString.copyFrom(gi.groupContext().groupId().unsafeArray());
      } catch (org.jmls.codec.DecodeException | ClassCastException e) {
        throw new StepFailure(member + " returned a GroupInfo that does not decode: " + e.getMessage());
      }
    }

    int otherSuite() {
      for (int s : commonSuites()) {
        if (s != suite) {
          return s;
        }
      }
      return suite;
    }

    GroupInfoResponse groupInfo(String actor, boolean externalTree) {
      return rpc(actor).groupInfo(GroupInfoRequest.newBuilder().setStateId(state(actor)).setExternalTree(externalTree).build());
    }

    void fullCommit(JsonObject s) {
      String actor = str(s, "actor");
      CommitRequest.Builder b = CommitRequest.newBuilder().setStateId(state(actor))
          .setForcePath(flag(s, "force_path", "forcePath")).setExternalTree(flag(s, "external_tree", "externalTree"));
      List<ByteString> byRef = new ArrayList<>();
      if (s.has("byReference")) {
        for (JsonElement e : s.getAsJsonArray("byReference")) {
          byRef.add(output.get(e.getAsInt()));
        }
      }
      b.addAllByReference(byRef);
      if (s.has("byValue")) {
        for (JsonElement e : s.getAsJsonArray("byValue")) {
          b.addByValue(description(e.getAsJsonObject(), actor));
        }
      }
      CommitResponse c = rpc(actor).commit(b.build());
      handled(actor, rpc(actor).handlePendingCommit(HandlePendingCommitRequest.newBuilder().setStateId(state(actor)).build()));
      List<String> all = new ArrayList<>();
      all.add(actor);
      for (String m : names(s, "members")) {
        handled(m, rpc(m).handleCommit(HandleCommitRequest.newBuilder().setStateId(state(m)).addAllProposal(byRef)
            .setCommit(c.getCommit()).build()));
        all.add(m);
      }
      for (String j : names(s, "joiners")) {
        join(j, c.getWelcome(), c.getRatchetTree());
        all.add(j);
      }
      agree(all);
    }

    void externalJoin(JsonObject s) {
      String actor = str(s, "actor");
      String joiner = str(s, "joiner");
      boolean externalTree = flag(s, "externalTree", "external_tree");
      GroupInfoResponse gi = groupInfo(actor, externalTree);
      ExternalJoinRequest.Builder b = ExternalJoinRequest.newBuilder().setGroupInfo(gi.getGroupInfo())
          .setRatchetTree(gi.getRatchetTree()).setEncryptHandshake(encrypt).setIdentity(identity(joiner))
          .setRemovePrior(flag(s, "removePrior"));
      if (s.has("psks")) {
        for (JsonElement e : s.getAsJsonArray("psks")) {
          ByteString id = output.get(e.getAsInt());
          // The joiner learns the PSK out of band; the scripts install it on the members only.
          b.addPsks(PreSharedKey.newBuilder().setPskId(id).setPskSecret(pskSecrets.get(id)));
        }
      }
      ExternalJoinResponse r = rpc(joiner).externalJoin(b.build());
      stateOf.put(joiner, r.getStateId());
      epoch(joiner, r.getEpochAuthenticator());
      List<String> all = new ArrayList<>();
      all.add(joiner);
      List<String> processors = new ArrayList<>();
      processors.add(actor);
      processors.addAll(names(s, "members"));
      for (String m : processors) {
        handled(m, rpc(m).handleCommit(HandleCommitRequest.newBuilder().setStateId(state(m)).setCommit(r.getCommit()).build()));
        all.add(m);
      }
      agree(all);
    }

    final Map<ByteString, ByteString> pskSecrets = new HashMap<>();

    void reinit(JsonObject s) {
      String committer = str(s, "committer");
      String welcomer = str(s, "welcomer");
      ByteString proposal;
      String proposerName = s.has("proposer") ? str(s, "proposer") : null;
      if (s.has("externalReinitProposal")) {
        proposal = output.get(s.get("externalReinitProposal").getAsInt());
      } else {
        ReInitProposalRequest.Builder rb = ReInitProposalRequest.newBuilder().setStateId(state(proposerName))
            .setCipherSuite(flag(s, "changeCiphersuite", "changeCipherSuite") ? otherSuite() : suite)
            .setGroupId(flag(s, "changeGroupID") ? randomBytes(16) : currentGroupId(proposerName))
            .addAllExtensions(extensions(s));
        proposal = rpc(proposerName).reInitProposal(rb.build()).getProposal();
      }
      CommitResponse c = rpc(committer).reInitCommit(CommitRequest.newBuilder().setStateId(state(committer))
          .addByReference(proposal).setForcePath(flag(s, "forcePath")).build());
      Set<String> others = new LinkedHashSet<>();
      if (proposerName != null) {
        others.add(proposerName);
      }
      others.add(welcomer);
      others.addAll(names(s, "members"));
      others.remove(committer);
      Map<String, HandleReInitCommitResponse> re = new LinkedHashMap<>();
      re.put(committer, rpc(committer).handlePendingReInitCommit(HandlePendingCommitRequest.newBuilder().setStateId(state(committer)).build()));
      for (String o : others) {
        re.put(o, rpc(o).handleReInitCommit(HandleCommitRequest.newBuilder().setStateId(state(o)).addProposal(proposal)
            .setCommit(c.getCommit()).build()));
      }
      ByteString first = re.get(committer).getEpochAuthenticator();
      for (Map.Entry<String, HandleReInitCommitResponse> e : re.entrySet()) {
        if (!e.getValue().getEpochAuthenticator().equals(first)) {
          throw new StepFailure("epoch authenticators differ after the ReInit commit at " + e.getKey());
        }
      }
      ReInitWelcomeRequest.Builder wb = ReInitWelcomeRequest.newBuilder().setReinitId(re.get(welcomer).getReinitId())
          .setForcePath(flag(s, "forcePath")).setExternalTree(flag(s, "externalTree"));
      for (Map.Entry<String, HandleReInitCommitResponse> e : re.entrySet()) {
        if (!e.getKey().equals(welcomer)) {
          wb.addKeyPackage(e.getValue().getKeyPackage());
        }
      }
      CreateSubgroupResponse w = rpc(welcomer).reInitWelcome(wb.build());
      stateOf.put(welcomer, w.getStateId());
      epoch(welcomer, w.getEpochAuthenticator());
      List<String> all = new ArrayList<>();
      all.add(welcomer);
      for (Map.Entry<String, HandleReInitCommitResponse> e : re.entrySet()) {
        if (e.getKey().equals(welcomer)) {
          continue;
        }
        JoinGroupResponse j = rpc(e.getKey()).handleReInitWelcome(HandleReInitWelcomeRequest.newBuilder()
            .setReinitId(e.getValue().getReinitId()).setWelcome(w.getWelcome()).setRatchetTree(w.getRatchetTree()).build());
        stateOf.put(e.getKey(), j.getStateId());
        epoch(e.getKey(), j.getEpochAuthenticator());
        all.add(e.getKey());
      }
      agree(all);
    }

    void branch(JsonObject s) {
      String actor = str(s, "actor");
      List<String> members = names(s, "members");
      CreateBranchRequest.Builder b = CreateBranchRequest.newBuilder().setStateId(state(actor)).setGroupId(randomBytes(16))
          .addAllExtensions(extensions(s)).setForcePath(flag(s, "forcePath")).setExternalTree(flag(s, "externalTree"));
      for (String m : members) {
        b.addKeyPackages(createKeyPackage(m));
      }
      CreateSubgroupResponse r = rpc(actor).createBranch(b.build());
      Map<String, Integer> newStates = new LinkedHashMap<>();
      newStates.put(actor, r.getStateId());
      List<String> all = new ArrayList<>();
      all.add(actor);
      epoch(actor, r.getEpochAuthenticator());
      for (String m : members) {
        HandleBranchResponse h = rpc(m).handleBranch(HandleBranchRequest.newBuilder().setStateId(state(m))
            .setTransactionId(transactionOf.get(m)).setWelcome(r.getWelcome()).setRatchetTree(r.getRatchetTree()).build());
        newStates.put(m, h.getStateId());
        epoch(m, h.getEpochAuthenticator());
        all.add(m);
      }
      stateOf.putAll(newStates);
      agree(all);
    }
  }

  /** Parses "N passed, M failed" totals. */
  public static String summary(List<Outcome> outcomes) {
    long passed = outcomes.stream().filter(Outcome::passed).count();
    return passed + " passed, " + (outcomes.size() - passed) + " failed";
  }

  static String utf8(ByteString b) {
    return new String(b.toByteArray(), StandardCharsets.UTF_8);
  }
}
