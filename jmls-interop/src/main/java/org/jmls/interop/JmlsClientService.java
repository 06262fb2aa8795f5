package org.jmls.interop;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import mls_client.MLSClientGrpc;
import mls_client.MlsClient.*;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.codec.TlsReader;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.CryptoProvider;
import org.jmls.crypto.DefaultCryptoProvider;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.extension.ExternalSenders;
import org.jmls.extension.RatchetTree;
import org.jmls.group.CredentialValidator;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.KeyPackages;
import org.jmls.group.PskStore;
import org.jmls.message.Credential;
import org.jmls.message.Extension;
import org.jmls.message.GroupInfo;
import org.jmls.message.KeyPackage;
import org.jmls.message.LeafNode;
import org.jmls.message.Lifetime;
import org.jmls.message.MlsMessage;
import org.jmls.message.Node;
import org.jmls.message.PreSharedKeyId;
import org.jmls.message.Proposal;
import org.jmls.message.ResumptionPskUsage;
import org.jmls.message.Welcome;

/**
 * The MLS working group's {@code mls_client.MLSClient} interop service over jmls. Every RPC maps
 * to the public Group API; states, transactions, reinits and external signers are kept by id.
 * Errors become gRPC INVALID_ARGUMENT (bad input) or FAILED_PRECONDITION (unknown id) with the
 * jmls rule id in the description.
 */
public final class JmlsClientService extends MLSClientGrpc.MLSClientImplBase {
  private static final long LIFETIME = 365L * 86400;

  private final CryptoProvider provider = DefaultCryptoProvider.instance();
  private final AtomicInteger ids = new AtomicInteger(1);
  private final Map<Integer, State> states = new ConcurrentHashMap<>();
  private final Map<Integer, Transaction> transactions = new ConcurrentHashMap<>();
  private final Map<Integer, Reinit> reinits = new ConcurrentHashMap<>();
  private final Map<Integer, Signer> signers = new ConcurrentHashMap<>();

  /** External PSKs of one state or transaction, plus resumption PSKs of every group this client holds. */
  private final class Psks implements PskStore {
    final Map<Bytes, Secret> external = new ConcurrentHashMap<>();

    @Override
    public Secret external(Bytes pskId) {
      return external.get(pskId);
    }

    @Override
    public Secret resumption(Bytes groupId, long epoch) {
      for (State s : states.values()) {
        if (s.group.groupId().equals(groupId)) {
          Secret psk = s.group.resumptionPsk(epoch);
          if (psk != null) {
            return psk;
          }
        }
      }
      return null;
    }
  }

  private final class State {
    Group group;
    final Bytes identity;
    final Psks psks;
    final KeyPair signature;

    State(Group group, Bytes identity, Psks psks, KeyPair signature) {
      this.group = group;
      this.identity = identity;
      this.psks = psks;
      this.signature = signature;
    }
  }

  private record Transaction(KeyPackageBundle bundle, KeyPair signature, Bytes identity, Psks psks) {}

  private record Reinit(int oldState, Proposal.ReInit proposal, KeyPackageBundle bundle, KeyPair signature, Bytes identity) {}

  private record Signer(CipherSuite suite, KeyPair signature, Bytes identity) {}

  // ------------------------------------------------------------------ plumbing

  private interface Call<T> {
    T run() throws Exception;
  }

  private static <T> void respond(StreamObserver<T> out, Call<T> call) {
    T value;
    try {
      value = call.run();
    } catch (MlsException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    } catch (IllegalArgumentException | IllegalStateException e) {
      out.onError(Status.FAILED_PRECONDITION.withDescription(String.valueOf(e.getMessage())).asRuntimeException());
      return;
    } catch (Exception e) {
      out.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
      return;
    }
    out.onNext(value);
    out.onCompleted();
  }

  private GroupServices services(Psks psks) {
    return new GroupServices(provider, java.time.Clock.systemUTC(), CredentialValidator.ACCEPT_ALL, psks, null);
  }

  private static GroupConfig config(boolean encrypt) {
    return GroupConfig.defaults().withEncryptedHandshakes(encrypt);
  }

  private static ByteString bs(Bytes b) {
    return b == null ? ByteString.EMPTY : ByteString.copyFrom(b.unsafeArray());
  }

  private static ByteString bs(MlsMessage m) {
    return m == null ? ByteString.EMPTY : ByteString.copyFrom(m.toByteArray());
  }

  private static ByteString bs(byte[] b) {
    return ByteString.copyFrom(b);
  }

  private static MlsMessage message(ByteString b) throws MlsException {
    return MlsMessage.fromBytes(b.toByteArray());
  }

  private State state(int id) {
    State s = states.get(id);
    if (s == null) {
      throw new IllegalArgumentException("no state " + id);
    }
    return s;
  }

  private int put(State s) {
    int id = ids.getAndIncrement();
    states.put(id, s);
    return id;
  }

  private static CipherSuite suite(int id) {
    CipherSuite s = CipherSuite.of(id);
    if (s == null) {
      throw new IllegalArgumentException("unsupported cipher suite " + id);
    }
    return s;
  }

  private KeyPackageBundle keyPackage(CipherSuite suite, Bytes identity, KeyPair signature) throws MlsException {
    MlsCrypto c = provider.suite(suite);
    long now = System.currentTimeMillis() / 1000;
    return KeyPackages.create(c, new Credential.Basic(identity), signature, KeyPackages.defaultCapabilities(suite),
        new Lifetime(now - 3600, now + LIFETIME), List.of(), List.of());
  }

  /** A new signature key and KeyPackage for {@code identity}, as a transaction. */
  private Transaction fresh(CipherSuite suite, Bytes identity) throws MlsException {
    KeyPair sig = provider.suite(suite).generateSignatureKeyPair();
    return new Transaction(keyPackage(suite, identity, sig), sig, identity, new Psks());
  }

  /** Registers a joined group under a new state id. */
  private int joined(Group g, Transaction t) {
    return put(new State(g, t.identity(), t.psks(), t.signature()));
  }

  private static List<Node> tree(ByteString b) throws MlsException {
    return b.isEmpty() ? null : RatchetTree.fromBytes(b.toByteArray()).nodes();
  }

  private static ByteString treeBytes(Group g) {
    return bs(new RatchetTree(g.tree().toNodes()).toByteArray());
  }

  private static int leafOf(List<Node> nodes, Bytes identity) {
    for (int x = 0; x < nodes.size(); x += 2) {
      Node n = nodes.get(x);
      if (n instanceof LeafNode && ((LeafNode) n).credential() instanceof Credential.Basic
          && ((Credential.Basic) ((LeafNode) n).credential()).identity().equals(identity)) {
        return x / 2;
      }
    }
    throw new IllegalArgumentException("no member with identity " + new String(identity.toByteArray(), StandardCharsets.UTF_8));
  }

  private static List<Extension> extensions(List<mls_client.MlsClient.Extension> in) {
    List<Extension> out = new ArrayList<>();
    for (mls_client.MlsClient.Extension e : in) {
      out.add(new Extension(e.getExtensionType(), Bytes.wrap(e.getExtensionData().toByteArray())));
    }
    return out;
  }

  private static PreSharedKeyId externalPsk(MlsCrypto c, Bytes id) {
    return PreSharedKeyId.external(id, Bytes.wrap(c.randomBytes(c.hashLength())));
  }

  private static PreSharedKeyId resumptionPsk(MlsCrypto c, ResumptionPskUsage usage, Bytes groupId, long epoch) {
    return PreSharedKeyId.resumption(usage, groupId, epoch, Bytes.wrap(c.randomBytes(c.hashLength())));
  }

  /** A ProposalDescription as a Proposal, in the context of a group whose members are {@code tree}. */
  private static Proposal describe(MlsCrypto c, ProposalDescription d, Bytes groupId, List<Node> tree) throws MlsException {
    String type = d.getProposalType().toStringUtf8();
    switch (type) {
      case "add":
        return new Proposal.Add((KeyPackage) message(d.getKeyPackage()).body());
      case "remove":
        return new Proposal.Remove(leafOf(tree, Bytes.wrap(d.getRemovedId().toByteArray())));
      case "externalPSK":
        return new Proposal.PreSharedKey(externalPsk(c, Bytes.wrap(d.getPskId().toByteArray())));
      case "resumptionPSK":
        return new Proposal.PreSharedKey(resumptionPsk(c, ResumptionPskUsage.APPLICATION, groupId, d.getEpochId()));
      case "groupContextExtensions":
        return new Proposal.GroupContextExtensions(extensions(d.getExtensionsList()));
      case "reinit":
        return new Proposal.ReInit(Bytes.wrap(d.getGroupId().toByteArray()), 1, d.getCipherSuite(), extensions(d.getExtensionsList()));
      default:
        throw new IllegalArgumentException("unknown proposal type " + type);
    }
  }

  // ------------------------------------------------------------------ RPCs

  @Override
  public void name(NameRequest r, StreamObserver<NameResponse> out) {
    respond(out, () -> NameResponse.newBuilder().setName("jmls").build());
  }

  @Override
  public void supportedCiphersuites(SupportedCiphersuitesRequest r, StreamObserver<SupportedCiphersuitesResponse> out) {
    respond(out, () -> {
      SupportedCiphersuitesResponse.Builder b = SupportedCiphersuitesResponse.newBuilder();
      for (CipherSuite s : CipherSuite.all()) { // the RFC's, the PQ draft's, and the enabled aliases
        b.addCiphersuites(s.id());
      }
      return b.build();
    });
  }

  @Override
  public void createGroup(CreateGroupRequest r, StreamObserver<CreateGroupResponse> out) {
    respond(out, () -> {
      CipherSuite suite = suite(r.getCipherSuite());
      Bytes identity = Bytes.wrap(r.getIdentity().toByteArray());
      KeyPair sig = provider.suite(suite).generateSignatureKeyPair();
      Psks psks = new Psks();
      Group g = Group.create(services(psks), config(r.getEncryptHandshake()), Bytes.wrap(r.getGroupId().toByteArray()),
          keyPackage(suite, identity, sig), List.of());
      return CreateGroupResponse.newBuilder().setStateId(put(new State(g, identity, psks, sig))).build();
    });
  }

  @Override
  public void createKeyPackage(CreateKeyPackageRequest r, StreamObserver<CreateKeyPackageResponse> out) {
    respond(out, () -> {
      Transaction t = fresh(suite(r.getCipherSuite()), Bytes.wrap(r.getIdentity().toByteArray()));
      KeyPackageBundle kp = t.bundle();
      KeyPair sig = t.signature();
      int id = ids.getAndIncrement();
      transactions.put(id, t);
      return CreateKeyPackageResponse.newBuilder().setTransactionId(id)
          .setKeyPackage(bs(MlsMessage.of(kp.keyPackage()))).setInitPriv(bs(kp.initKey().toByteArray()))
          .setEncryptionPriv(bs(kp.encryptionKey().toByteArray())).setSignaturePriv(bs(sig.privateKey().toByteArray())).build();
    });
  }

  private Transaction transaction(int id) {
    Transaction t = transactions.get(id);
    if (t == null) {
      throw new IllegalArgumentException("no transaction " + id);
    }
    return t;
  }

  @Override
  public void joinGroup(JoinGroupRequest r, StreamObserver<JoinGroupResponse> out) {
    respond(out, () -> {
      Transaction t = transaction(r.getTransactionId());
      Group g = Group.join(services(t.psks()), config(r.getEncryptHandshake()), (Welcome) message(r.getWelcome()).body(),
          t.bundle(), tree(r.getRatchetTree()));
      int id = joined(g, t);
      return JoinGroupResponse.newBuilder().setStateId(id).setEpochAuthenticator(bs(g.epochAuthenticator())).build();
    });
  }

  @Override
  public void externalJoin(ExternalJoinRequest r, StreamObserver<ExternalJoinResponse> out) {
    respond(out, () -> {
      GroupInfo gi = (GroupInfo) message(r.getGroupInfo()).body();
      CipherSuite suite = suite(gi.groupContext().cipherSuite());
      Bytes identity = Bytes.wrap(r.getIdentity().toByteArray());
      Transaction t = fresh(suite, identity);
      KeyPackageBundle kp = t.bundle();
      KeyPair sig = t.signature();
      Psks psks = t.psks();
      List<PreSharedKeyId> ids = new ArrayList<>();
      MlsCrypto c = provider.suite(suite);
      for (mls_client.MlsClient.PreSharedKey p : r.getPsksList()) {
        Bytes pid = Bytes.wrap(p.getPskId().toByteArray());
        psks.external.put(pid, Secret.copyOf(p.getPskSecret().toByteArray()));
        ids.add(externalPsk(c, pid));
      }
      List<Node> nodes = tree(r.getRatchetTree());
      int prior = -1;
      if (r.getRemovePrior()) {
        List<Node> all = nodes != null ? nodes
            : RatchetTree.from(Extension.find(gi.extensions(), Extension.RATCHET_TREE)).nodes();
        prior = leafOf(all, identity);
      }
      Group.ExternalJoin j = Group.externalJoin(services(psks), config(r.getEncryptHandshake()), gi, nodes,
          kp.keyPackage().leafNode(), sig.privateKey(), prior, ids);
      int id = put(new State(j.group(), identity, psks, sig));
      return ExternalJoinResponse.newBuilder().setStateId(id).setCommit(bs(j.commit()))
          .setEpochAuthenticator(bs(j.group().epochAuthenticator())).build();
    });
  }

  @Override
  public void groupInfo(GroupInfoRequest r, StreamObserver<GroupInfoResponse> out) {
    respond(out, () -> {
      Group g = state(r.getStateId()).group;
      GroupInfoResponse.Builder b = GroupInfoResponse.newBuilder().setGroupInfo(bs(g.groupInfo(!r.getExternalTree())));
      if (r.getExternalTree()) {
        b.setRatchetTree(treeBytes(g));
      }
      return b.build();
    });
  }

  @Override
  public void stateAuth(StateAuthRequest r, StreamObserver<StateAuthResponse> out) {
    respond(out, () -> StateAuthResponse.newBuilder().setStateAuthSecret(bs(state(r.getStateId()).group.epochAuthenticator())).build());
  }

  @Override
  public void export(ExportRequest r, StreamObserver<ExportResponse> out) {
    respond(out, () -> ExportResponse.newBuilder().setExportedSecret(bs(state(r.getStateId()).group
        .export(r.getLabel(), r.getContext().toByteArray(), r.getKeyLength()))).build());
  }

  @Override
  public void protect(ProtectRequest r, StreamObserver<ProtectResponse> out) {
    respond(out, () -> ProtectResponse.newBuilder().setCiphertext(bs(state(r.getStateId()).group
        .encrypt(r.getPlaintext().toByteArray(), r.getAuthenticatedData().toByteArray()))).build());
  }

  @Override
  public void unprotect(UnprotectRequest r, StreamObserver<UnprotectResponse> out) {
    respond(out, () -> {
      Group.Processed p = state(r.getStateId()).group.process(message(r.getCiphertext()));
      if (!(p instanceof Group.ApplicationMessage)) {
        throw new IllegalArgumentException("not an application message");
      }
      Group.ApplicationMessage m = (Group.ApplicationMessage) p;
      return UnprotectResponse.newBuilder().setAuthenticatedData(bs(m.authenticatedData())).setPlaintext(bs(m.data())).build();
    });
  }

  @Override
  public void storePSK(StorePSKRequest r, StreamObserver<StorePSKResponse> out) {
    respond(out, () -> {
      int id = r.getStateOrTransactionId();
      Psks psks = states.containsKey(id) ? states.get(id).psks : transaction(id).psks();
      psks.external.put(Bytes.wrap(r.getPskId().toByteArray()), Secret.copyOf(r.getPskSecret().toByteArray()));
      return StorePSKResponse.getDefaultInstance();
    });
  }

  private void propose(StreamObserver<ProposalResponse> out, int stateId, ProposalMaker maker) {
    respond(out, () -> {
      State s = state(stateId);
      return ProposalResponse.newBuilder().setProposal(bs(s.group.propose(maker.make(s)))).build();
    });
  }

  private interface ProposalMaker {
    Proposal make(State s) throws Exception;
  }

  @Override
  public void addProposal(AddProposalRequest r, StreamObserver<ProposalResponse> out) {
    propose(out, r.getStateId(), s -> new Proposal.Add((KeyPackage) message(r.getKeyPackage()).body()));
  }

  @Override
  public void updateProposal(UpdateProposalRequest r, StreamObserver<ProposalResponse> out) {
    respond(out, () -> ProposalResponse.newBuilder().setProposal(bs(state(r.getStateId()).group.proposeUpdate())).build());
  }

  @Override
  public void removeProposal(RemoveProposalRequest r, StreamObserver<ProposalResponse> out) {
    propose(out, r.getStateId(), s -> new Proposal.Remove(leafOf(s.group.tree().toNodes(), Bytes.wrap(r.getRemovedId().toByteArray()))));
  }

  @Override
  public void externalPSKProposal(ExternalPSKProposalRequest r, StreamObserver<ProposalResponse> out) {
    propose(out, r.getStateId(), s -> new Proposal.PreSharedKey(externalPsk(s.group.crypto(), Bytes.wrap(r.getPskId().toByteArray()))));
  }

  @Override
  public void resumptionPSKProposal(ResumptionPSKProposalRequest r, StreamObserver<ProposalResponse> out) {
    propose(out, r.getStateId(), s -> new Proposal.PreSharedKey(
        resumptionPsk(s.group.crypto(), ResumptionPskUsage.APPLICATION, s.group.groupId(), r.getEpochId())));
  }

  @Override
  public void groupContextExtensionsProposal(GroupContextExtensionsProposalRequest r, StreamObserver<ProposalResponse> out) {
    propose(out, r.getStateId(), s -> new Proposal.GroupContextExtensions(extensions(r.getExtensionsList())));
  }

  @Override
  public void reInitProposal(ReInitProposalRequest r, StreamObserver<ProposalResponse> out) {
    propose(out, r.getStateId(), s -> new Proposal.ReInit(Bytes.wrap(r.getGroupId().toByteArray()), 1, r.getCipherSuite(),
        extensions(r.getExtensionsList())));
  }

  /** The ProposalRef of a by-reference proposal message, processing it first unless we sent it. */
  private static Bytes refOf(Group g, MlsMessage m) throws MlsException {
    Bytes own = g.refOfSentProposal(m);
    if (own != null) {
      return own;
    }
    Group.Processed p = g.process(m);
    if (!(p instanceof Group.ProposalReceived)) {
      throw new IllegalArgumentException("by_reference entry is not a proposal");
    }
    return ((Group.ProposalReceived) p).ref();
  }

  private CommitResponse doCommit(CommitRequest r) throws Exception {
    State s = state(r.getStateId());
    Group g = s.group;
    List<Bytes> refs = new ArrayList<>();
    for (ByteString b : r.getByReferenceList()) {
      refs.add(refOf(g, message(b)));
    }
    List<Proposal> byValue = new ArrayList<>();
    for (ProposalDescription d : r.getByValueList()) {
      byValue.add(describe(g.crypto(), d, g.groupId(), g.tree().toNodes()));
    }
    Group.CommitResult c = g.commit(refs, byValue, r.getForcePath(), !r.getExternalTree());
    CommitResponse.Builder b = CommitResponse.newBuilder().setCommit(bs(c.commit())).setWelcome(bs(c.welcome()));
    if (r.getExternalTree()) {
      GroupInfo gi = (GroupInfo) c.groupInfo().body();
      b.setRatchetTree(bs(Extension.find(gi.extensions(), Extension.RATCHET_TREE).extensionData()));
    }
    return b.build();
  }

  @Override
  public void commit(CommitRequest r, StreamObserver<CommitResponse> out) {
    respond(out, () -> doCommit(r));
  }

  @Override
  public void reInitCommit(CommitRequest r, StreamObserver<CommitResponse> out) {
    respond(out, () -> doCommit(r));
  }

  private Group handleCommit(HandleCommitRequest r) throws Exception {
    Group g = state(r.getStateId()).group;
    for (ByteString p : r.getProposalList()) {
      MlsMessage m = message(p);
      if (g.refOfSentProposal(m) == null) {
        g.process(m);
      }
    }
    Group.Processed p = g.process(message(r.getCommit()));
    if (!(p instanceof Group.StagedCommit)) {
      throw new IllegalArgumentException("not a commit");
    }
    g.merge((Group.StagedCommit) p);
    return g;
  }

  @Override
  public void handleCommit(HandleCommitRequest r, StreamObserver<HandleCommitResponse> out) {
    respond(out, () -> {
      Group g = handleCommit(r);
      return HandleCommitResponse.newBuilder().setStateId(r.getStateId()).setEpochAuthenticator(bs(g.epochAuthenticator())).build();
    });
  }

  @Override
  public void handlePendingCommit(HandlePendingCommitRequest r, StreamObserver<HandleCommitResponse> out) {
    respond(out, () -> {
      Group g = state(r.getStateId()).group;
      g.mergePendingCommit();
      return HandleCommitResponse.newBuilder().setStateId(r.getStateId()).setEpochAuthenticator(bs(g.epochAuthenticator())).build();
    });
  }

  private HandleReInitCommitResponse afterReinit(int stateId) throws MlsException {
    State s = state(stateId);
    Proposal.ReInit ri = s.group.reinitPending();
    if (ri == null) {
      throw new IllegalArgumentException("the commit carried no ReInit");
    }
    CipherSuite suite = suite(ri.cipherSuite());
    KeyPair sig = provider.suite(suite).generateSignatureKeyPair();
    KeyPackageBundle kp = keyPackage(suite, s.identity, sig);
    int id = ids.getAndIncrement();
    reinits.put(id, new Reinit(stateId, ri, kp, sig, s.identity));
    return HandleReInitCommitResponse.newBuilder().setReinitId(id).setKeyPackage(bs(MlsMessage.of(kp.keyPackage())))
        .setEpochAuthenticator(bs(s.group.epochAuthenticator())).build();
  }

  @Override
  public void handlePendingReInitCommit(HandlePendingCommitRequest r, StreamObserver<HandleReInitCommitResponse> out) {
    respond(out, () -> {
      state(r.getStateId()).group.mergePendingCommit();
      return afterReinit(r.getStateId());
    });
  }

  @Override
  public void handleReInitCommit(HandleCommitRequest r, StreamObserver<HandleReInitCommitResponse> out) {
    respond(out, () -> {
      handleCommit(r);
      return afterReinit(r.getStateId());
    });
  }

  /** Creates a group linked to {@code old} by a resumption PSK and adds {@code keyPackages}. */
  private CreateSubgroupResponse linkedGroup(State old, ResumptionPskUsage usage, Bytes groupId, List<Extension> ext,
      KeyPackageBundle own, KeyPair sig, Bytes identity, List<ByteString> keyPackages, boolean forcePath, boolean externalTree)
      throws Exception {
    Psks psks = new Psks();
    GroupConfig cfg = old.group.config();
    Group g = Group.create(services(psks), cfg, groupId, own, ext);
    List<Proposal> proposals = new ArrayList<>();
    proposals.add(new Proposal.PreSharedKey(resumptionPsk(g.crypto(), usage, old.group.groupId(), old.group.epoch())));
    for (ByteString kp : keyPackages) {
      proposals.add(new Proposal.Add((KeyPackage) message(kp).body()));
    }
    Group.CommitResult c = g.commit(List.of(), proposals, forcePath, !externalTree);
    g.mergePendingCommit();
    int id = put(new State(g, identity, psks, sig));
    CreateSubgroupResponse.Builder b = CreateSubgroupResponse.newBuilder().setStateId(id).setWelcome(bs(c.welcome()))
        .setEpochAuthenticator(bs(g.epochAuthenticator()));
    if (externalTree) {
      b.setRatchetTree(treeBytes(g));
    }
    return b.build();
  }

  @Override
  public void reInitWelcome(ReInitWelcomeRequest r, StreamObserver<CreateSubgroupResponse> out) {
    respond(out, () -> {
      Reinit ri = reinits.get(r.getReinitId());
      if (ri == null) {
        throw new IllegalArgumentException("no reinit " + r.getReinitId());
      }
      return linkedGroup(state(ri.oldState()), ResumptionPskUsage.REINIT, ri.proposal().groupId(), ri.proposal().extensions(),
          ri.bundle(), ri.signature(), ri.identity(), r.getKeyPackageList(), r.getForcePath(), r.getExternalTree());
    });
  }

  @Override
  public void handleReInitWelcome(HandleReInitWelcomeRequest r, StreamObserver<JoinGroupResponse> out) {
    respond(out, () -> {
      Reinit ri = reinits.get(r.getReinitId());
      if (ri == null) {
        throw new IllegalArgumentException("no reinit " + r.getReinitId());
      }
      State old = state(ri.oldState());
      Group g = Group.join(services(old.psks), old.group.config(), (Welcome) message(r.getWelcome()).body(), ri.bundle(),
          tree(r.getRatchetTree()));
      int id = put(new State(g, ri.identity(), new Psks(), ri.signature()));
      return JoinGroupResponse.newBuilder().setStateId(id).setEpochAuthenticator(bs(g.epochAuthenticator())).build();
    });
  }

  @Override
  public void createBranch(CreateBranchRequest r, StreamObserver<CreateSubgroupResponse> out) {
    respond(out, () -> {
      State s = state(r.getStateId());
      CipherSuite suite = s.group.crypto().cipherSuite();
      KeyPair sig = provider.suite(suite).generateSignatureKeyPair();
      return linkedGroup(s, ResumptionPskUsage.BRANCH, Bytes.wrap(r.getGroupId().toByteArray()), extensions(r.getExtensionsList()),
          keyPackage(suite, s.identity, sig), sig, s.identity, r.getKeyPackagesList(), r.getForcePath(), r.getExternalTree());
    });
  }

  @Override
  public void handleBranch(HandleBranchRequest r, StreamObserver<HandleBranchResponse> out) {
    respond(out, () -> {
      State old = state(r.getStateId());
      Transaction t = transaction(r.getTransactionId());
      Group g = Group.join(services(old.psks), old.group.config(), (Welcome) message(r.getWelcome()).body(), t.bundle(),
          tree(r.getRatchetTree()));
      int id = joined(g, t);
      return HandleBranchResponse.newBuilder().setStateId(id).setEpochAuthenticator(bs(g.epochAuthenticator())).build();
    });
  }

  @Override
  public void newMemberAddProposal(NewMemberAddProposalRequest r, StreamObserver<NewMemberAddProposalResponse> out) {
    respond(out, () -> {
      GroupInfo gi = (GroupInfo) message(r.getGroupInfo()).body();
      Transaction t = fresh(suite(gi.groupContext().cipherSuite()), Bytes.wrap(r.getIdentity().toByteArray()));
      KeyPackageBundle kp = t.bundle();
      KeyPair sig = t.signature();
      int id = ids.getAndIncrement();
      transactions.put(id, t);
      MlsMessage m = Group.externalProposal(provider, gi, -1, new Proposal.Add(kp.keyPackage()), sig.privateKey());
      return NewMemberAddProposalResponse.newBuilder().setTransactionId(id).setProposal(bs(m))
          .setInitPriv(bs(kp.initKey().toByteArray())).setEncryptionPriv(bs(kp.encryptionKey().toByteArray()))
          .setSignaturePriv(bs(sig.privateKey().toByteArray())).build();
    });
  }

  @Override
  public void createExternalSigner(CreateExternalSignerRequest r, StreamObserver<CreateExternalSignerResponse> out) {
    respond(out, () -> {
      CipherSuite suite = suite(r.getCipherSuite());
      KeyPair sig = provider.suite(suite).generateSignatureKeyPair();
      Bytes identity = Bytes.wrap(r.getIdentity().toByteArray());
      int id = ids.getAndIncrement();
      signers.put(id, new Signer(suite, sig, identity));
      byte[] sender = new ExternalSenders.ExternalSender(sig.publicKey(), new Credential.Basic(identity)).toByteArray();
      return CreateExternalSignerResponse.newBuilder().setSignerId(id).setExternalSender(bs(sender)).build();
    });
  }

  @Override
  public void addExternalSigner(AddExternalSignerRequest r, StreamObserver<ProposalResponse> out) {
    propose(out, r.getStateId(), s -> {
      ExternalSenders.ExternalSender added = TlsReader.decode(r.getExternalSender().toByteArray(), ExternalSenders.ExternalSender::decode);
      List<Extension> ext = new ArrayList<>();
      List<ExternalSenders.ExternalSender> senders = new ArrayList<>();
      for (Extension e : s.group.context().extensions()) {
        if (e.extensionType() == Extension.EXTERNAL_SENDERS) {
          senders.addAll(ExternalSenders.from(e).senders());
        } else {
          ext.add(e);
        }
      }
      senders.add(added);
      ext.add(new ExternalSenders(senders).toExtension());
      return new Proposal.GroupContextExtensions(ext);
    });
  }

  @Override
  public void externalSignerProposal(ExternalSignerProposalRequest r, StreamObserver<ProposalResponse> out) {
    respond(out, () -> {
      Signer signer = signers.get(r.getSignerId());
      if (signer == null) {
        throw new IllegalArgumentException("no signer " + r.getSignerId());
      }
      GroupInfo gi = (GroupInfo) message(r.getGroupInfo()).body();
      List<Node> nodes = tree(r.getRatchetTree());
      if (nodes == null) {
        nodes = RatchetTree.from(Extension.find(gi.extensions(), Extension.RATCHET_TREE)).nodes();
      }
      MlsCrypto c = provider.suite(suite(gi.groupContext().cipherSuite()));
      Proposal p = describe(c, r.getDescription(), gi.groupContext().groupId(), nodes);
      MlsMessage m = Group.externalProposal(provider, gi, r.getSignerIndex(), p, signer.signature().privateKey());
      return ProposalResponse.newBuilder().setProposal(bs(m)).build();
    });
  }

  @Override
  public void free(FreeRequest r, StreamObserver<FreeResponse> out) {
    respond(out, () -> {
      states.remove(r.getStateId());
      return FreeResponse.getDefaultInstance();
    });
  }
}
