package org.jmls.group;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.CryptoException;
import org.jmls.crypto.CryptoProvider;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.extension.ExternalPub;
import org.jmls.extension.ExternalSenders;
import org.jmls.extension.RatchetTree;
import org.jmls.framing.Framing;
import org.jmls.framing.WelcomeOpener;
import org.jmls.MlsException;
import org.jmls.message.ApplicationData;
import org.jmls.message.AuthenticatedContent;
import org.jmls.message.Commit;
import org.jmls.message.ContentType;
import org.jmls.message.EncryptedGroupSecrets;
import org.jmls.message.Extension;
import org.jmls.message.FramedContent;
import org.jmls.message.GroupContext;
import org.jmls.message.GroupInfo;
import org.jmls.message.GroupSecrets;
import org.jmls.message.HpkeCiphertext;
import org.jmls.message.KeyPackage;
import org.jmls.message.LeafNode;
import org.jmls.message.LeafNodeSource;
import org.jmls.message.MlsMessage;
import org.jmls.message.Node;
import org.jmls.message.PreSharedKeyId;
import org.jmls.message.PrivateMessage;
import org.jmls.message.Proposal;
import org.jmls.message.ProposalOrRef;
import org.jmls.message.ProtocolVersion;
import org.jmls.message.PskType;
import org.jmls.message.PublicMessage;
import org.jmls.message.Sender;
import org.jmls.message.SenderType;
import org.jmls.message.UpdatePath;
import org.jmls.message.Welcome;
import org.jmls.message.WireFormat;
import org.jmls.schedule.EpochSecrets;
import org.jmls.schedule.KeySchedule;
import org.jmls.schedule.SecretTree;
import org.jmls.schedule.TranscriptHash;
import org.jmls.tree.PathKeys;
import org.jmls.tree.TreeKem;
import org.jmls.tree.TreeMath;

/**
 * One member's view of an MLS group (RFC 9420 §8–§12), sans-IO: every outgoing message is a return
 * value, every incoming one an argument. Processing is staged: {@link #process} verifies a message
 * completely and returns what it would do; a commit only changes the group when {@link #merge} is
 * called with its {@link StagedCommit}. A refused message leaves the group exactly as it was.
 * Not thread-safe.
 */
public final class Group {
  /** The outcome of {@link #process}. */
  public sealed interface Processed permits ApplicationMessage, ProposalReceived, StagedCommit {}

  /**
   * Decrypted and verified application data from {@code senderLeaf} in {@code epoch}, sent under
   * that sender's application ratchet {@code generation} (consecutive per sender and epoch, so a
   * jump shows messages that were lost or are still to come).
   */
  public record ApplicationMessage(int senderLeaf, long epoch, int generation, Bytes data, Bytes authenticatedData)
      implements Processed {
    @Override
    public String toString() {
      return "ApplicationMessage[leaf=" + senderLeaf + ", epoch=" + epoch + ", " + data.length() + " bytes]";
    }
  }

  /** A verified proposal, now cached for a later commit to reference. */
  public record ProposalReceived(Proposal proposal, Sender sender, Bytes ref) implements Processed {}

  /** A verified commit, ready to {@link #merge}: inspect who is added, removed, updated. */
  public static final class StagedCommit implements Processed {
    private final EpochState next;
    private final long newEpoch;
    private final ProposalList.Applied applied;
    private final int committer;
    private final boolean removesMe;

    /** {@code next} is null when the commit removes this member, who cannot derive the new epoch. */
    StagedCommit(EpochState next, long newEpoch, ProposalList.Applied applied, int committer, boolean removesMe) {
      this.next = next;
      this.newEpoch = newEpoch;
      this.applied = applied;
      this.committer = committer;
      this.removesMe = removesMe;
    }

    public long newEpoch() {
      return newEpoch;
    }

    public int committer() {
      return committer;
    }

    public List<Integer> addedLeaves() {
      return List.copyOf(applied.addedLeaves);
    }

    public List<KeyPackage> addedKeyPackages() {
      return List.copyOf(applied.addedKeyPackages);
    }

    public List<Integer> removedLeaves() {
      return List.copyOf(applied.removedLeaves);
    }

    public List<Integer> updatedLeaves() {
      return List.copyOf(applied.updatedLeaves);
    }

    public List<PreSharedKeyId> psks() {
      return List.copyOf(applied.psks);
    }

    /** True if this commit removes the member processing it. */
    public boolean removesMe() {
      return removesMe;
    }

    /** The ReInit proposal this commit carries, or null. */
    public Proposal.ReInit reinit() {
      return applied.reinit;
    }

    /** The epoch authenticator of the new epoch; null when the commit removes this member. */
    public Bytes epochAuthenticator() {
      return next == null ? null : next.secrets.epochAuthenticator();
    }
  }

  /** What {@link #commit} produces: the commit to send, and a Welcome when members are added. */
  public static final class CommitResult {
    private final MlsMessage commit;
    private final MlsMessage welcome;
    private GroupInfoSigner signer;
    private MlsMessage groupInfo;
    private MlsMessage groupInfoWithoutTree;

    CommitResult(MlsMessage commit, MlsMessage welcome, GroupInfoSigner signer) {
      this.commit = commit;
      this.welcome = welcome;
      this.signer = signer;
    }

    /** The commit to send. */
    public MlsMessage commit() {
      return commit;
    }

    /** The Welcome for the members this commit adds, or null when it adds none. */
    public MlsMessage welcome() {
      return welcome;
    }

    /**
     * The new epoch's GroupInfo, signed, with the ratchet tree and the external public key. Made on
     * the first call (its size grows with the group, so a caller that does not need it pays nothing).
     */
    public synchronized MlsMessage groupInfo() {
      if (groupInfo == null) {
        groupInfo = signed(true);
      }
      return groupInfo;
    }

    private MlsMessage signed(boolean withTree) {
      try {
        return MlsMessage.of(signer.sign(withTree));
      } catch (CryptoException e) {
        throw new IllegalStateException("signing the GroupInfo failed", e);
      }
    }

    /**
     * The new epoch's GroupInfo with ({@code true}, as {@link #groupInfo()}) or without the
     * ratchet tree: without it, the GroupInfo's size does not grow with the group, and whoever
     * receives it gets the tree another way (a Delivery Service that keeps it) and checks it
     * against the tree hash the GroupInfo signs.
     */
    public synchronized MlsMessage groupInfo(boolean withTree) {
      if (withTree) {
        return groupInfo();
      }
      if (groupInfoWithoutTree == null) {
        groupInfoWithoutTree = signed(false);
      }
      return groupInfoWithoutTree;
    }
  }

  @FunctionalInterface
  interface GroupInfoSigner {
    GroupInfo sign(boolean withTree) throws CryptoException;
  }

  record CachedProposal(Proposal proposal, Sender sender, Bytes ref) {}

  private static final byte[] EXTERNAL_INIT_LABEL =
      "MLS 1.0 external init secret".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  final GroupServices services;
  final GroupConfig config;
  final MlsCrypto crypto;
  final Secret signatureKey;
  EpochState state;
  final Deque<EpochState> past = new ArrayDeque<>();
  final Map<Bytes, CachedProposal> proposals = new LinkedHashMap<>();
  final Map<Bytes, Secret> pendingUpdateKeys = new LinkedHashMap<>();
  final Map<Bytes, Bytes> sentProposalRefs = new LinkedHashMap<>();
  StagedCommit pendingCommit;
  boolean active = true;
  Proposal.ReInit reinit;
  private org.jmls.message.Credential nextCredential;
  private long changes;

  Group(GroupServices services, GroupConfig config, MlsCrypto crypto, Secret signatureKey, EpochState state) {
    this.services = services;
    this.config = config;
    this.crypto = crypto;
    this.signatureKey = signatureKey;
    this.state = state;
  }

  // ====================================================================== creation and joining

  /** A member from an epoch state built elsewhere (test fixtures for large groups). */
  static Group ofState(GroupServices services, GroupConfig config, Secret signatureKey, EpochState state) {
    return new Group(services, config, state.tree.crypto(), signatureKey, state);
  }


  /**
   * Creates a one-member group (RFC 9420 §11) with {@code own}'s leaf, a fresh random epoch secret,
   * and the given GroupContext extensions.
   */
  public static Group create(GroupServices services, GroupConfig config, Bytes groupId, KeyPackageBundle own,
      List<Extension> extensions) throws ValidationException {
    CipherSuite suite = CipherSuite.of(own.keyPackage().cipherSuite());
    if (suite == null) {
      throw new ValidationException("rfc9420-5.cipher-suite", "unsupported cipher suite " + own.keyPackage().cipherSuite());
    }
    MlsCrypto c = services.provider().suite(suite);
    org.jmls.tree.RatchetTree tree = org.jmls.tree.RatchetTree.withFirstLeaf(c, own.keyPackage().leafNode());
    ProposalList.checkGroupExtensions(tree, extensions);
    GroupContext gc = new GroupContext(ProtocolVersion.MLS10, suite.id(), groupId, 0, Bytes.wrap(tree.treeHash()),
        Bytes.EMPTY, extensions);
    byte[] epochSecret = c.randomBytes(c.hashLength());
    EpochSecrets secrets = KeySchedule.fromEpochSecret(c, epochSecret);
    Arrays.fill(epochSecret, (byte) 0);
    byte[] tag = secrets.confirmationTag(new byte[0]);
    Bytes interim = Bytes.wrap(TranscriptHash.interim(c, new byte[0], tag));
    PathKeys keys = new PathKeys();
    keys.put(0, Secret.copyOf(own.encryptionKey().unsafeArray()));
    EpochState st = new EpochState(gc, tree, interim, secrets,
        new SecretTree(c, secrets.encryptionSecret(), 1, config.outOfOrder()), keys, 0);
    return new Group(services, config, c, own.signatureKey(), st);
  }

  /**
   * Joins from a Welcome (RFC 9420 §12.4.3.1) with the KeyPackage it was addressed to. The ratchet
   * tree comes from the GroupInfo's ratchet_tree extension, or from {@code treeOutOfBand} when the
   * GroupInfo has none. The whole tree is validated: tree hash, parent hashes, every leaf
   * (signatures checked on the services' executor when given), unmerged leaves, key uniqueness.
   */
  public static Group join(GroupServices services, GroupConfig config, Welcome welcome, KeyPackageBundle bundle,
      List<Node> treeOutOfBand) throws ValidationException, CryptoException {
    return join(services, gc -> config, welcome, bundle, treeOutOfBand);
  }

  /** Chooses a joiner's settings from the group's context (for settings the group agrees on in an extension). */
  @FunctionalInterface
  public interface ConfigChooser {
    GroupConfig choose(GroupContext context) throws ValidationException;
  }

  /**
   * Where a joiner gets the ratchet tree when the Welcome's GroupInfo does not carry it (for
   * example from a Delivery Service that keeps trees): asked only then, with the group and epoch
   * the GroupInfo names. Whatever it returns is untrusted and validated in full.
   */
  @FunctionalInterface
  public interface TreeSource {
    List<Node> treeFor(Bytes groupId, long epoch) throws ValidationException;
  }

  /**
   * As {@link #join(GroupServices, GroupConfig, Welcome, KeyPackageBundle, List)}, with the settings
   * chosen from the GroupContext once the Welcome is decrypted and before the tree is validated.
   */
  public static Group join(GroupServices services, ConfigChooser chooser, Welcome welcome, KeyPackageBundle bundle,
      List<Node> treeOutOfBand) throws ValidationException, CryptoException {
    return join(services, chooser, welcome, bundle, (gid, epoch) -> treeOutOfBand);
  }

  /** As {@link #join(GroupServices, ConfigChooser, Welcome, KeyPackageBundle, List)}, the tree asked from {@code trees} when needed. */
  public static Group join(GroupServices services, ConfigChooser chooser, Welcome welcome, KeyPackageBundle bundle,
      TreeSource trees) throws ValidationException, CryptoException {
    KeyPackage kp = bundle.keyPackage();
    if (welcome.cipherSuite() != kp.cipherSuite()) {
      throw new ValidationException("rfc9420-12.4.3.1.cipher-suite", "the Welcome's suite differs from the KeyPackage's");
    }
    CipherSuite suite = CipherSuite.of(kp.cipherSuite());
    if (suite == null) {
      throw new ValidationException("rfc9420-5.cipher-suite", "unsupported cipher suite " + kp.cipherSuite());
    }
    MlsCrypto c = services.provider().suite(suite);
    Bytes ref = c.makeKeyPackageRef(kp.toByteArray());
    EncryptedGroupSecrets entry = WelcomeOpener.find(welcome, ref);
    if (entry == null) {
      throw new ValidationException("rfc9420-12.4.3.1.no-entry", "the Welcome has no entry for this KeyPackage");
    }
    GroupSecrets gs = WelcomeOpener.decryptGroupSecrets(c, welcome, entry, bundle.initKey());
    List<KeySchedule.Psk> psks = new ArrayList<>();
    int linking = 0;
    for (PreSharedKeyId id : gs.psks()) {
      Secret psk = id.pskType() == PskType.EXTERNAL ? services.psks().external(id.pskId())
          : services.psks().resumption(id.pskGroupId(), id.pskEpoch());
      if (psk == null) {
        throw new ValidationException("rfc9420-12.4.3.1.psk-unavailable", "the Welcome needs a PSK this client lacks");
      }
      if (id.pskType() == PskType.RESUMPTION && id.usage() != org.jmls.message.ResumptionPskUsage.APPLICATION) {
        linking++;
      }
      psks.add(new KeySchedule.Psk(id, psk));
    }
    if (linking > 1) {
      throw new ValidationException("rfc9420-12.4.3.1.linking-psks", "more than one reinit/branch PSK in the Welcome");
    }
    WelcomeOpener.Opened opened = WelcomeOpener.open(c, welcome, ref, bundle.initKey(), psks);
    GroupInfo gi = opened.groupInfo();
    GroupContext gc = gi.groupContext();
    if (gc.cipherSuite() != kp.cipherSuite() || gc.version() != ProtocolVersion.MLS10) {
      throw new ValidationException("rfc9420-12.4.3.1.cipher-suite", "the GroupInfo's suite or version differs from the KeyPackage's");
    }
    if (linking > 0 && gc.epoch() != 1) {
      throw new ValidationException("rfc9420-12.4.3.1.linking-epoch", "a reinit/branch Welcome must be for epoch 1");
    }
    GroupConfig config = java.util.Objects.requireNonNull(chooser.choose(gc), "config");
    List<Node> treeOutOfBand = Extension.find(gi.extensions(), Extension.RATCHET_TREE) != null ? null
        : trees.treeFor(gc.groupId(), gc.epoch());
    org.jmls.tree.RatchetTree tree = verifiedTree(c, services, config, gi, treeOutOfBand);
    int myLeaf = tree.leafWithSignatureKey(kp.leafNode().signatureKey());
    if (myLeaf < 0 || !kp.leafNode().equals(tree.leaf(myLeaf))) {
      throw new ValidationException("rfc9420-12.4.3.1.my-leaf", "no leaf in the tree is identical to the KeyPackage's");
    }
    PathKeys keys = new PathKeys();
    keys.put(2 * myLeaf, Secret.copyOf(bundle.encryptionKey().unsafeArray()));
    if (gs.pathSecret() != null) {
      derivePathFromWelcome(c, tree, myLeaf, gi.signer(), gs.pathSecret().toByteArray(), keys);
    }
    EpochSecrets secrets = opened.schedule().epoch();
    Bytes interim = Bytes.wrap(TranscriptHash.interim(c, gc.confirmedTranscriptHash().unsafeArray(),
        gi.confirmationTag().unsafeArray()));
    EpochState st = new EpochState(gc, tree, interim, secrets,
        new SecretTree(c, secrets.encryptionSecret(), tree.leafCount(), config.outOfOrder()), keys, myLeaf);
    return new Group(services, config, c, bundle.signatureKey(), st);
  }

  /**
   * The ratchet tree for a GroupInfo (its ratchet_tree extension, else {@code treeOutOfBand}),
   * validated in full against the GroupInfo (§12.4.3.1), and the GroupInfo's signature checked
   * with the signer's leaf key. Shared by Welcome joins, external joins and {@link PublicGroup}.
   */
  static org.jmls.tree.RatchetTree verifiedTree(MlsCrypto c, GroupServices services, GroupConfig config, GroupInfo gi,
      List<Node> treeOutOfBand) throws ValidationException {
    Extension treeExt = Extension.find(gi.extensions(), Extension.RATCHET_TREE);
    List<Node> nodes;
    if (treeExt != null) {
      try {
        nodes = RatchetTree.from(treeExt).nodes();
      } catch (DecodeException e) {
        throw new ValidationException("rfc9420-12.4.3.3.tree-decode", "the ratchet_tree extension does not decode: " + e.reason());
      }
    } else if (treeOutOfBand != null) {
      nodes = treeOutOfBand;
    } else {
      throw new ValidationException("rfc9420-12.4.3.1.no-tree", "no ratchet tree in the GroupInfo and none supplied");
    }
    org.jmls.tree.RatchetTree tree = org.jmls.tree.RatchetTree.fromNodes(c, nodes);
    validateJoinedTree(c, services, config, tree, gi.groupContext());
    LeafNode signer = tree.leaf(gi.signer());
    if (signer == null || !WelcomeOpener.groupInfoSignatureValid(c, gi, signer.signatureKey())) {
      throw new ValidationException("rfc9420-12.4.3.1.group-info-signature", "the GroupInfo signature does not verify");
    }
    return tree;
  }

  private static void validateJoinedTree(MlsCrypto c, GroupServices services, GroupConfig config,
      org.jmls.tree.RatchetTree tree, GroupContext gc) throws ValidationException {
    if (!Arrays.equals(tree.treeHash(), gc.treeHash().unsafeArray())) {
      throw new ValidationException("rfc9420-12.4.3.1.tree-hash", "the ratchet tree does not match the GroupInfo's tree hash");
    }
    tree.verifyParentHashes();
    tree.verifyUnmergedLeaves();
    tree.verifyLeafSignatures(gc.groupId(), services.executor());
    long now = config.checkLifetimesOnJoin() ? services.clock().instant().getEpochSecond() : -1;
    // Each leaf's checks are independent; the credential check (an X.509 chain: one more signature
    // per leaf) is as costly as the leaf signature, so it is spread over the executor too.
    org.jmls.ParallelRanges.check(services.executor(), tree.leafCount(), 256,
        (from, to) -> checkLeaves(services, tree, gc, now, from, to));
    LeafValidation.checkCredentialTypes(tree);
  }

  /** The per-leaf checks of a joined tree (§12.4.3.1, §7.3) for leaves {@code from} to {@code to} - 1. */
  private static void checkLeaves(GroupServices services, org.jmls.tree.RatchetTree tree, GroupContext gc, long now, int from, int to)
      throws ValidationException {
    for (int l = from; l < to; l++) {
      LeafNode leaf = tree.leaf(l);
      if (leaf == null) {
        continue;
      }
      LeafValidation.checkRequiredCapabilities(leaf, gc.extensions());
      for (Extension e : leaf.extensions()) {
        if (!LeafValidation.isDefaultExtension(e.extensionType()) && !leaf.capabilities().extensions().contains(e.extensionType())) {
          throw new ValidationException("rfc9420-7.3.extension-support", "leaf " + l + " carries an extension it does not list");
        }
      }
      if (now >= 0 && leaf.lifetime() != null && !leaf.lifetime().contains(now)) {
        throw new ValidationException("rfc9420-7.3.lifetime", "leaf " + l + "'s lifetime does not include the current time");
      }
      services.credentials().validate(leaf.credential(), leaf.signatureKey());
    }
  }

  /** Path keys from a Welcome's path secret: the lowest common ancestor with the signer, then up (§12.4.3.1). */
  private static void derivePathFromWelcome(MlsCrypto c, org.jmls.tree.RatchetTree tree, int myLeaf, int signer,
      byte[] pathSecret, PathKeys keys) throws ValidationException, CryptoException {
    int[] fdp = tree.filteredDirectPath(signer);
    int lca = lowestCommonAncestor(tree.leafCount(), myLeaf, signer);
    int start = -1;
    for (int i = 0; i < fdp.length; i++) {
      if (fdp[i] == lca) {
        start = i;
      }
    }
    if (start < 0) {
      throw new ValidationException("rfc9420-12.4.3.1.path-secret", "the common ancestor is not on the signer's filtered direct path");
    }
    byte[] ps = pathSecret;
    for (int i = start; i < fdp.length; i++) {
      if (i > start) {
        byte[] next = c.deriveSecret(ps, "path");
        Arrays.fill(ps, (byte) 0);
        ps = next;
      }
      KeyPair kp = TreeKem.nodeKeyPair(c, ps);
      if (!kp.publicKey().equals(tree.parentNode(fdp[i]).encryptionKey())) {
        throw new ValidationException("rfc9420-12.4.3.1.path-key-mismatch", "a key derived from the path secret differs from the tree");
      }
      keys.put(fdp[i], kp.privateKey());
    }
    Arrays.fill(ps, (byte) 0);
  }

  static int lowestCommonAncestor(int leafCount, int leafA, int leafB) {
    int a = 2 * leafA;
    int b = 2 * leafB;
    while (a != b) {
      if (TreeMath.level(a) <= TreeMath.level(b)) {
        a = TreeMath.parent(a, leafCount);
      } else {
        b = TreeMath.parent(b, leafCount);
      }
    }
    return a;
  }

  /** A group joined by external commit, and the commit to send (§12.4.3.2). */
  public record ExternalJoin(Group group, MlsMessage commit) {}

  /**
   * Joins by external commit (§12.4.3.2) from a GroupInfo with an external_pub extension: verifies
   * the GroupInfo and the whole tree like a Welcome join, then commits an ExternalInit (and a Remove
   * of {@code removeLeaf}, this client's previous leaf when resyncing after state loss; -1 for none)
   * with a path that places the new leaf in the leftmost blank slot. The returned group is in the
   * new epoch; discard it if the Delivery Service refuses the commit.
   */
  public static ExternalJoin externalJoin(GroupServices services, GroupConfig config, GroupInfo gi, List<Node> treeOutOfBand,
      LeafNode leafTemplate, Secret signatureKey, int removeLeaf) throws ValidationException, CryptoException {
    return externalJoin(services, config, gi, treeOutOfBand, leafTemplate, signatureKey, removeLeaf, List.of());
  }

  /** {@link #externalJoin} with external PSKs (resolved through the services' PSK store). */
  public static ExternalJoin externalJoin(GroupServices services, GroupConfig config, GroupInfo gi, List<Node> treeOutOfBand,
      LeafNode leafTemplate, Secret signatureKey, int removeLeaf, List<PreSharedKeyId> psks)
      throws ValidationException, CryptoException {
    GroupContext gc = gi.groupContext();
    CipherSuite suite = CipherSuite.of(gc.cipherSuite());
    if (suite == null || gc.version() != ProtocolVersion.MLS10) {
      throw new ValidationException("rfc9420-5.cipher-suite", "unsupported suite or version in the GroupInfo");
    }
    MlsCrypto c = services.provider().suite(suite);
    Extension pubExt = Extension.find(gi.extensions(), Extension.EXTERNAL_PUB);
    if (pubExt == null) {
      throw new ValidationException("rfc9420-12.4.3.2.external-pub", "the GroupInfo has no external_pub: external joins are not allowed");
    }
    Bytes externalPub;
    try {
      externalPub = ExternalPub.from(pubExt).externalPub();
    } catch (DecodeException e) {
      throw new ValidationException("rfc9420-12.4.3.2.group-info-extension", "external_pub does not decode: " + e.reason());
    }
    org.jmls.tree.RatchetTree tree = verifiedTree(c, services, config, gi, treeOutOfBand);
    org.jmls.crypto.Hpke.Exported init = c.hpke().sendExport(externalPub.unsafeArray(), new byte[0], EXTERNAL_INIT_LABEL, c.hashLength());
    Bytes interimBefore = Bytes.wrap(TranscriptHash.interim(c, gc.confirmedTranscriptHash().unsafeArray(), gi.confirmationTag().unsafeArray()));
    EpochState before = new EpochState(gc, tree, interimBefore, null, null, new PathKeys(), -1);
    Sender me = Sender.newMemberCommit();
    List<Proposal> byValue = new ArrayList<>();
    byValue.add(new Proposal.ExternalInit(Bytes.wrap(init.enc())));
    if (removeLeaf >= 0) {
      byValue.add(new Proposal.Remove(removeLeaf));
    }
    for (PreSharedKeyId id : psks) {
      byValue.add(new Proposal.PreSharedKey(id));
    }
    List<ProposalList.Entry> entries = new ArrayList<>();
    List<ProposalOrRef> refs = new ArrayList<>();
    for (Proposal p : byValue) {
      entries.add(new ProposalList.Entry(p, me, null));
      refs.add(ProposalOrRef.byValue(p));
    }
    ProposalList.Applied applied = ProposalList.apply(c, services, before, entries, -1, true,
        services.clock().instant().getEpochSecond());
    org.jmls.tree.RatchetTree next = applied.tree;
    // A placeholder leaf holds the slot while the path is built; createPath replaces it.
    KeyPair placeholder = c.generateHpkeKeyPair();
    LeafNode slot = new LeafNode(placeholder.publicKey(), leafTemplate.signatureKey(), leafTemplate.credential(),
        leafTemplate.capabilities(), LeafNodeSource.UPDATE, null, null, leafTemplate.extensions(), Bytes.EMPTY);
    int myLeaf = next.addLeaf(slot);
    placeholder.privateKey().destroy();
    long newEpoch = gc.epoch() + 1;
    TreeKem.PendingPath path = TreeKem.createPath(next, myLeaf, leafTemplate, signatureKey, gc.groupId(), services.executor());
    LeafValidation.validate(c, services, path.leaf(), LeafNodeSource.COMMIT, gc.groupId(), myLeaf, applied.extensions, next, myLeaf, -1);
    GroupContext provisional = new GroupContext(ProtocolVersion.MLS10, suite.id(), gc.groupId(), newEpoch,
        Bytes.wrap(next.treeHash()), gc.confirmedTranscriptHash(), applied.extensions);
    UpdatePath updatePath = path.encrypt(provisional.toByteArray(), new int[0], services.executor());
    FramedContent fc = new FramedContent(gc.groupId(), gc.epoch(), me, Bytes.EMPTY, new Commit(refs, updatePath));
    AuthenticatedContent signed = Framing.sign(c, WireFormat.MLS_PUBLIC_MESSAGE, fc, gc, signatureKey, Bytes.EMPTY);
    byte[] confirmed = TranscriptHash.confirmed(c, interimBefore.unsafeArray(), signed);
    GroupContext nextGc = new GroupContext(ProtocolVersion.MLS10, suite.id(), gc.groupId(), newEpoch,
        Bytes.wrap(next.treeHash()), Bytes.wrap(confirmed), applied.extensions);
    List<KeySchedule.Psk> resolved = new ArrayList<>();
    for (PreSharedKeyId id : applied.psks) {
      Secret psk = id.pskType() == PskType.EXTERNAL ? services.psks().external(id.pskId())
          : services.psks().resumption(id.pskGroupId(), id.pskEpoch());
      if (psk == null) {
        throw new ValidationException("rfc9420-12.4.2.psk-unavailable", "an external commit names a PSK this client lacks");
      }
      resolved.add(new KeySchedule.Psk(id, psk));
    }
    KeySchedule.Step step = KeySchedule.next(c, init.secret(), path.commitSecret().unsafeArray(),
        KeySchedule.pskSecret(c, resolved), nextGc.toByteArray());
    Arrays.fill(init.secret(), (byte) 0);
    step.joinerSecret().destroy();
    step.welcomeSecret().destroy();
    Bytes tag = Bytes.wrap(step.epoch().confirmationTag(confirmed));
    AuthenticatedContent ac = new AuthenticatedContent(WireFormat.MLS_PUBLIC_MESSAGE, fc,
        new org.jmls.message.FramedContentAuthData(signed.auth().signature(), tag));
    MlsMessage commit = MlsMessage.of(new PublicMessage(fc, ac.auth(), null));
    PathKeys keys = path.privateKeys().copy();
    path.destroy();
    Bytes interim = Bytes.wrap(TranscriptHash.interim(c, confirmed, tag.unsafeArray()));
    EpochState st = new EpochState(nextGc, next, interim, step.epoch(),
        new SecretTree(c, step.epoch().encryptionSecret(), next.leafCount(), config.outOfOrder()), keys, myLeaf);
    return new ExternalJoin(new Group(services, config, c, signatureKey, st), commit);
  }

  /**
   * A proposal from outside the group (§12.1.8): a new member's own Add ({@code senderIndex} -1,
   * sender new_member_proposal) or any proposal from the external sender at {@code senderIndex} of
   * the group's external_senders. Built against the epoch of {@code gi}; sent as PublicMessage.
   */
  public static MlsMessage externalProposal(CryptoProvider provider, GroupInfo gi, int senderIndex, Proposal p,
      Secret signatureKey) throws ValidationException, CryptoException {
    CipherSuite suite = CipherSuite.of(gi.groupContext().cipherSuite());
    if (suite == null) {
      throw new ValidationException("rfc9420-5.cipher-suite", "unsupported cipher suite");
    }
    MlsCrypto c = provider.suite(suite);
    Sender sender = senderIndex < 0 ? Sender.newMemberProposal() : Sender.external(senderIndex);
    if (senderIndex < 0 && !(p instanceof Proposal.Add)) {
      throw new ValidationException("rfc9420-12.1.8.new-member-proposal", "a new member may only propose its own Add");
    }
    GroupContext gc = gi.groupContext();
    FramedContent fc = new FramedContent(gc.groupId(), gc.epoch(), sender, Bytes.EMPTY, p);
    AuthenticatedContent ac = Framing.sign(c, WireFormat.MLS_PUBLIC_MESSAGE, fc, gc, signatureKey, null);
    return MlsMessage.of(new PublicMessage(fc, ac.auth(), null));
  }

  // ====================================================================== persistence (GroupStateCodec)

  /** Version of the {@link #save()} format; {@link #load} reads every version up to this one. */
  public static final int STATE_VERSION = GroupStateCodec.STATE_VERSION;

  /**
   * The whole member state as a versioned binary blob: configuration, signature key, current and
   * retained epochs (secrets, secret trees, path keys, ratchet trees), cached proposals. It contains
   * secrets: store it encrypted. Refused while a commit of ours is pending (merge or discard it
   * first), so a restored group never holds a commit it cannot finish.
   */
  public byte[] save() {
    return GroupStateCodec.save(this, false);
  }

  /**
   * The state without its ratchet trees, for stores that write after every few messages: in a group
   * of n members the trees are O(n) and change only when the epoch does, the rest is small. Store
   * it with {@link #saveTrees()} taken at the same epoch, and load both with {@link #load(GroupServices,
   * byte[], byte[])}.
   */
  public byte[] saveWithoutTrees() {
    return GroupStateCodec.save(this, true);
  }

  /**
   * The ratchet trees of the current and retained epochs (public data: no secrets). They change
   * only when the epoch changes, so a store need write them again only then.
   */
  public byte[] saveTrees() {
    return GroupStateCodec.saveTrees(this);
  }

  /**
   * Restores a group saved by {@link #save()}; fails with a DecodeException on any corruption. There
   * is no size limit beyond the input's own length: states of large groups run to tens of megabytes.
   */
  public static Group load(GroupServices services, byte[] blob) throws org.jmls.codec.DecodeException {
    return GroupStateCodec.load(services, blob, null);
  }

  /**
   * Restores a group saved in two parts; {@code trees} is read only if {@code state} was saved
   * without its trees, and must be from the same epoch (refused otherwise).
   */
  public static Group load(GroupServices services, byte[] state, byte[] trees) throws org.jmls.codec.DecodeException {
    return GroupStateCodec.load(services, state, trees);
  }

  /**
   * This member's state as it is now, to come back to with {@link #restore} (for example if a commit
   * it is about to post is refused): cheap at any group size, since the ratchet trees are shared
   * copy-on-write and only the rest (secrets, ratchets, keys, proposals) is serialized. Refused
   * while a commit of ours is pending, like {@link #save()}. It holds secrets: keep it in memory,
   * or store it encrypted with {@link Snapshot#save()}.
   */
  public Snapshot snapshot() {
    return new Snapshot(services, GroupStateCodec.save(this, true), GroupStateCodec.Trees.of(this));
  }

  /** The member a {@link #snapshot()} captured, independent of the snapshot (which can be restored again). */
  public static Group restore(GroupServices services, Snapshot s) {
    try {
      return GroupStateCodec.load(services, s.state, null, s.trees);
    } catch (org.jmls.codec.DecodeException e) {
      throw new IllegalStateException("a snapshot does not restore: " + e.reason(), e);
    }
  }

  /** A member's state captured by {@link #snapshot()}. */
  public static final class Snapshot {
    final GroupServices services;
    private final byte[] state;
    private final GroupStateCodec.Trees trees;

    private Snapshot(GroupServices services, byte[] state, GroupStateCodec.Trees trees) {
      this.services = services;
      this.state = state;
      this.trees = trees;
    }

    /** The epoch it was taken in. */
    public long epoch() {
      return trees.epochs()[0];
    }

    /** The whole state as {@link Group#save()} writes it (O(n): the trees included), for a store. */
    public byte[] save() {
      return restore(services, this).save();
    }
  }

  /** Whether {@code state} was saved by {@link #saveWithoutTrees()} (its trees are stored apart). */
  public static boolean savedWithoutTrees(byte[] state) {
    return GroupStateCodec.treesApart(state);
  }

  // ====================================================================== accessors

  /**
   * Counts calls that may change this member's state (sending, receiving, proposing, committing,
   * merging): a caller that stores states can skip a group whose count has not moved since it was
   * last saved. A fresh or loaded group starts at 0.
   */
  public long changes() {
    return changes;
  }

  public MlsCrypto crypto() {
    return crypto;
  }

  public GroupConfig config() {
    return config;
  }

  public Bytes groupId() {
    return state.context.groupId();
  }

  public long epoch() {
    return state.context.epoch();
  }

  public GroupContext context() {
    return state.context;
  }

  public int myLeafIndex() {
    return state.myLeaf;
  }

  /** False once a merged commit removed this member: the group can then no longer send. */
  public boolean isActive() {
    return active;
  }

  public Bytes epochAuthenticator() {
    return state.secrets.epochAuthenticator();
  }

  /** MLS-Exporter (§8.5) of the current epoch. */
  public byte[] export(String label, byte[] context, int length) {
    return state.secrets.export(label, context, length);
  }

  /** A copy of the current public tree. */
  public org.jmls.tree.RatchetTree tree() {
    return state.tree.copy();
  }

  /** The member at {@code leafIndex}, or null for a blank or absent leaf (O(1), unlike {@link #members()}). */
  public LeafNode member(int leafIndex) {
    return leafIndex >= 0 && leafIndex < state.tree.leafCount() ? state.tree.leaf(leafIndex) : null;
  }

  /** Current members as (leaf index, leaf node), in leaf order. */
  public Map<Integer, LeafNode> members() {
    Map<Integer, LeafNode> m = new LinkedHashMap<>();
    for (int l = 0; l < state.tree.leafCount(); l++) {
      LeafNode leaf = state.tree.leaf(l);
      if (leaf != null) {
        m.put(l, leaf);
      }
    }
    return Collections.unmodifiableMap(m);
  }

  /** The current epoch's secrets, for tests in this package that forge messages. */
  /** The current epoch's state (test fixtures only: another Group over it shares its ratchets). */
  EpochState stateForTesting() {
    return state;
  }

  EpochSecrets secretsForTesting() {
    return state.secrets;
  }

  /**
   * A signed GroupInfo for the current epoch (§12.4.3), with the external_pub extension and, when
   * {@code withTree}, the ratchet tree: what an external joiner needs.
   */
  public MlsMessage groupInfo(boolean withTree) throws CryptoException {
    Bytes tag = Bytes.wrap(state.secrets.confirmationTag(state.context.confirmedTranscriptHash().unsafeArray()));
    return MlsMessage.of(signGroupInfo(state.context, state.tree, extPub(state), tag, withTree));
  }

  /** The resumption PSK of {@code epoch} of this group if still retained (§8.6), or null. */
  public Secret resumptionPsk(long epoch) {
    EpochState st = epochState(epoch);
    return st == null ? null : st.secrets.resumptionPsk();
  }

  /** The ReInit proposal of the last merged commit: the group is then frozen (§11.2). Null otherwise. */
  public Proposal.ReInit reinitPending() {
    return reinit;
  }

  /** References of the proposals received or sent in this epoch and not yet committed. */
  public List<Bytes> pendingProposals() {
    return List.copyOf(proposals.keySet());
  }

  // ====================================================================== sending

  private void requireActive() throws ValidationException {
    if (!active) {
      throw new ValidationException("rfc9420-12.4.2.removed", "this member was removed from the group");
    }
    if (reinit != null) {
      throw new ValidationException("rfc9420-11.2.reinit-frozen", "the group was reinitialized; use the new group");
    }
  }

  private WireFormat handshakeFormat() {
    return config.encryptHandshakes() ? WireFormat.MLS_PRIVATE_MESSAGE : WireFormat.MLS_PUBLIC_MESSAGE;
  }

  private MlsMessage frame(AuthenticatedContent ac) throws ValidationException {
    if (ac.wireFormat() == WireFormat.MLS_PRIVATE_MESSAGE) {
      return MlsMessage.of(Framing.toPrivate(crypto, ac, state.secretTree, state.secrets.senderDataSecret(), config.paddingBlock()));
    }
    return MlsMessage.of(Framing.toPublic(crypto, ac, state.context, state.secrets.membershipKey()));
  }

  /** Encrypts application data (§6.3); fails while proposals await a commit (§12.4). */
  public MlsMessage encrypt(byte[] data, byte[] authenticatedData) throws ValidationException, CryptoException {
    changes++;
    requireActive();
    if (!proposals.isEmpty()) {
      throw new ValidationException("rfc9420-12.4.pending-proposals", "commit the pending proposals before sending application data");
    }
    FramedContent fc = new FramedContent(groupId(), epoch(), Sender.member(state.myLeaf),
        Bytes.copyOf(authenticatedData), new ApplicationData(Bytes.copyOf(data)));
    return frame(Framing.sign(crypto, WireFormat.MLS_PRIVATE_MESSAGE, fc, state.context, signatureKey, null));
  }

  /** Sends {@code p} as a proposal (by reference in a later commit); it is cached like a received one. */
  public MlsMessage propose(Proposal p) throws ValidationException, CryptoException {
    changes++;
    requireActive();
    FramedContent fc = new FramedContent(groupId(), epoch(), Sender.member(state.myLeaf), Bytes.EMPTY, p);
    AuthenticatedContent ac = Framing.sign(crypto, handshakeFormat(), fc, state.context, signatureKey, null);
    Bytes ref = crypto.makeProposalRef(ac.toByteArray());
    proposals.put(ref, new CachedProposal(p, fc.sender(), ref));
    MlsMessage m = frame(ac);
    sentProposalRefs.put(m.toBytes(), ref);
    return m;
  }

  /**
   * The ProposalRef of a proposal this member sent in the current epoch (a sender cannot decrypt
   * its own PrivateMessage to compute it), or null.
   */
  public Bytes refOfSentProposal(MlsMessage sent) {
    return sentProposalRefs.get(sent.toBytes());
  }

  /**
   * A SelfRemove proposal (draft-ietf-mls-extensions): any other member's next commit removes us by
   * reference; the group needs every member to list the type in its capabilities.
   */
  public MlsMessage proposeSelfRemove() throws ValidationException, CryptoException {
    changes++;
    return propose(new Proposal.SelfRemove());
  }

  /**
   * Puts {@code credential} (for the same signature key, e.g. a renewed certificate) into this
   * member's leaf with the next commit, which then always carries a path.
   */
  public void useCredential(org.jmls.message.Credential credential) {
    changes++;
    this.nextCredential = credential;
  }

  /** An Update proposal with a fresh leaf encryption key (§12.1.2). */
  public MlsMessage proposeUpdate() throws ValidationException, CryptoException {
    changes++;
    LeafNode cur = state.tree.leaf(state.myLeaf);
    KeyPair enc = crypto.generateHpkeKeyPair();
    LeafNode unsigned = new LeafNode(enc.publicKey(), cur.signatureKey(), cur.credential(), cur.capabilities(),
        LeafNodeSource.UPDATE, null, null, cur.extensions(), Bytes.EMPTY);
    LeafNode leaf = unsigned.withSignature(crypto.signWithLabel(signatureKey, "LeafNodeTBS",
        unsigned.toBeSigned(groupId(), state.myLeaf)));
    pendingUpdateKeys.put(enc.publicKey(), enc.privateKey());
    return propose(new Proposal.Update(leaf));
  }

  /**
   * Commits the given proposals by value plus every cached proposal by reference except our own
   * Updates (§12.4.1, §12.2), with an
   * UpdatePath when required or when {@code forcePath}. The result stays pending: call {@link
   * #mergePendingCommit()} once the Delivery Service accepted it, or {@link #discardPendingCommit()}.
   */
  public CommitResult commit(List<Proposal> byValue, boolean forcePath) throws ValidationException, CryptoException {
    // Our own Update proposals cannot be committed by us (§12.2); the commit's path refreshes our leaf instead.
    List<Bytes> refs = new ArrayList<>();
    for (CachedProposal cp : proposals.values()) {
      boolean ownUpdate = cp.proposal() instanceof Proposal.Update
          && cp.sender().senderType() == SenderType.MEMBER && cp.sender().index() == state.myLeaf;
      if (!ownUpdate) {
        refs.add(cp.ref());
      }
    }
    return commit(refs, byValue, forcePath, config.ratchetTreeInWelcome());
  }

  /**
   * Commits exactly the cached proposals named in {@code byReference} and the {@code byValue} ones;
   * {@code treeInWelcome} overrides the configured choice for this commit's Welcome.
   */
  public CommitResult commit(List<Bytes> byReference, List<Proposal> byValue, boolean forcePath, boolean treeInWelcome)
      throws ValidationException, CryptoException {
    changes++;
    requireActive();
    List<ProposalList.Entry> entries = new ArrayList<>();
    List<ProposalOrRef> refs = new ArrayList<>();
    for (Bytes r : byReference) {
      CachedProposal cp = proposals.get(r);
      if (cp == null) {
        throw new ValidationException("rfc9420-12.4.unknown-proposal", "no cached proposal with reference " + r);
      }
      entries.add(new ProposalList.Entry(cp.proposal(), cp.sender(), cp.ref()));
      refs.add(ProposalOrRef.byReference(cp.ref()));
    }
    for (Proposal p : byValue) {
      entries.add(new ProposalList.Entry(p, Sender.member(state.myLeaf), null));
      refs.add(ProposalOrRef.byValue(p));
    }
    long now = services.clock().instant().getEpochSecond();
    ProposalList.Applied applied = ProposalList.apply(crypto, services, state, entries, state.myLeaf, false, now);
    if (applied.removedLeaves.contains(state.myLeaf)) {
      throw new ValidationException("rfc9420-12.2.committer-removed", "the commit would remove the committer");
    }
    org.jmls.tree.RatchetTree tree = applied.tree;
    int[] joiners = applied.addedLeaves.stream().mapToInt(Integer::intValue).toArray();
    PathKeys keys = retainedKeys(state.keys, tree);
    Secret commitSecret;
    UpdatePath path = null;
    TreeKem.PendingPath pendingPath = null;
    long newEpoch = epoch() + 1;
    if (applied.pathRequired || forcePath || nextCredential != null) {
      LeafNode base = tree.leaf(state.myLeaf);
      if (nextCredential != null) {
        base = new LeafNode(base.encryptionKey(), base.signatureKey(), nextCredential, base.capabilities(), base.leafNodeSource(),
            base.lifetime(), base.parentHash(), base.extensions(), base.signature());
        services.credentials().validate(nextCredential, base.signatureKey());
      }
      pendingPath = TreeKem.createPath(tree, state.myLeaf, base, signatureKey, groupId(), services.executor());
      GroupContext provisional = new GroupContext(ProtocolVersion.MLS10, crypto.cipherSuite().id(), groupId(), newEpoch,
          Bytes.wrap(tree.treeHash()), state.context.confirmedTranscriptHash(), applied.extensions);
      path = pendingPath.encrypt(provisional.toByteArray(), joiners, services.executor());
      commitSecret = pendingPath.commitSecret();
      for (int node : pendingPath.privateKeys().nodes()) {
        keys.put(node, Secret.copyOf(pendingPath.privateKeys().get(node).unsafeArray()));
      }
    } else {
      commitSecret = Secret.wrap(KeySchedule.zero(crypto));
    }
    LeafValidation.checkCredentialTypes(state.tree, tree, applied, state.myLeaf);
    FramedContent fc = new FramedContent(groupId(), epoch(), Sender.member(state.myLeaf), Bytes.EMPTY, new Commit(refs, path));
    WireFormat wf = handshakeFormat();
    AuthenticatedContent unsignedTag = Framing.sign(crypto, wf, fc, state.context, signatureKey, Bytes.EMPTY);
    byte[] confirmed = TranscriptHash.confirmed(crypto, state.interimTranscriptHash.unsafeArray(), unsignedTag);
    GroupContext next = new GroupContext(ProtocolVersion.MLS10, crypto.cipherSuite().id(), groupId(), newEpoch,
        Bytes.wrap(tree.treeHash()), Bytes.wrap(confirmed), applied.extensions);
    List<KeySchedule.Psk> psks = resolvePsks(applied.psks);
    byte[] pskSecret = KeySchedule.pskSecret(crypto, psks);
    KeySchedule.Step step = KeySchedule.next(crypto, state.secrets.initSecret().unsafeArray(),
        commitSecret.unsafeArray(), pskSecret, next.toByteArray());
    Bytes tag = Bytes.wrap(step.epoch().confirmationTag(confirmed));
    AuthenticatedContent ac = new AuthenticatedContent(wf, fc,
        new org.jmls.message.FramedContentAuthData(unsignedTag.auth().signature(), tag));
    MlsMessage commitMsg = frame(ac);
    Bytes interim = Bytes.wrap(TranscriptHash.interim(crypto, confirmed, tag.unsafeArray()));
    EpochState nextState = new EpochState(next, tree, interim, step.epoch(),
        new SecretTree(crypto, step.epoch().encryptionSecret(), tree.leafCount(), config.outOfOrder()), keys, state.myLeaf);
    MlsMessage welcome = null;
    if (joiners.length > 0) {
      GroupInfo groupInfo = signGroupInfo(nextState.context, nextState.tree, extPub(nextState), tag, treeInWelcome);
      welcome = MlsMessage.of(buildWelcome(nextState, groupInfo, step, applied, pendingPath, psks));
    }
    step.welcomeSecret().destroy();
    step.joinerSecret().destroy();
    if (pendingPath != null) {
      pendingPath.destroy();
    }
    pendingCommit = new StagedCommit(nextState, newEpoch, applied, state.myLeaf, false);
    GroupContext giContext = nextState.context;
    org.jmls.tree.RatchetTree giTree = nextState.tree;
    Bytes giExtPub = extPub(nextState);
    return new CommitResult(commitMsg, welcome, withTree -> signGroupInfo(giContext, giTree, giExtPub, tag, withTree));
  }

  private static Bytes extPub(EpochState st) throws CryptoException {
    return st.secrets.externalKeyPair().publicKey();
  }

  /** A GroupInfo signed by this member; {@code tree} is only read (the epoch's trees are not changed in place). */
  private GroupInfo signGroupInfo(GroupContext context, org.jmls.tree.RatchetTree tree, Bytes externalPub,
      Bytes confirmationTag, boolean withTree) throws CryptoException {
    List<Extension> ext = new ArrayList<>();
    if (withTree) {
      ext.add(new RatchetTree(tree.toNodes()).toExtension());
    }
    ext.add(new ExternalPub(externalPub).toExtension());
    int signer = state.myLeaf;
    GroupInfo unsigned = new GroupInfo(context, ext, confirmationTag, signer, Bytes.EMPTY);
    return new GroupInfo(context, ext, confirmationTag, signer,
        crypto.signWithLabel(signatureKey, "GroupInfoTBS", unsigned.toBeSigned()));
  }

  private Welcome buildWelcome(EpochState st, GroupInfo gi, KeySchedule.Step step, ProposalList.Applied applied,
      TreeKem.PendingPath path, List<KeySchedule.Psk> psks) throws CryptoException {
    int nk = crypto.cipherSuite().aead().keyLength();
    int nn = crypto.cipherSuite().aead().nonceLength();
    byte[] key = crypto.expandWithLabel(step.welcomeSecret().unsafeArray(), "key", new byte[0], nk);
    byte[] nonce = crypto.expandWithLabel(step.welcomeSecret().unsafeArray(), "nonce", new byte[0], nn);
    byte[] encryptedGroupInfo = crypto.aeadSeal(key, nonce, new byte[0], gi.toByteArray());
    Arrays.fill(key, (byte) 0);
    List<PreSharedKeyId> pskIds = new ArrayList<>();
    psks.forEach(p -> pskIds.add(p.id()));
    List<EncryptedGroupSecrets> secrets = new ArrayList<>();
    List<java.util.concurrent.Future<HpkeCiphertext>> futures = new ArrayList<>();
    List<Bytes> refs = new ArrayList<>();
    // Every joiner's HPKE info is the same (the whole encrypted GroupInfo, tree included when inline): hashed once.
    org.jmls.crypto.Hpke.Info welcomeContext = crypto.encryptionContext("Welcome", encryptedGroupInfo);
    for (int i = 0; i < applied.addedLeaves.size(); i++) {
      int leaf = applied.addedLeaves.get(i);
      KeyPackage kp = applied.addedKeyPackages.get(i);
      Bytes pathSecret = null;
      if (path != null) {
        byte[] ps = path.pathSecretFor(lowestCommonAncestor(st.tree.leafCount(), st.myLeaf, leaf));
        pathSecret = ps == null ? null : Bytes.wrap(ps);
      }
      byte[] plaintext = new GroupSecrets(Bytes.wrap(step.joinerSecret().toByteArray()), pathSecret, pskIds).toByteArray();
      refs.add(crypto.makeKeyPackageRef(kp.toByteArray()));
      if (services.executor() == null) {
        secrets.add(new EncryptedGroupSecrets(refs.get(i),
            crypto.encryptWithLabel(kp.initKey(), welcomeContext, plaintext)));
      } else {
        futures.add(services.executor().submit(() -> crypto.encryptWithLabel(kp.initKey(), welcomeContext, plaintext)));
      }
    }
    for (int i = 0; i < futures.size(); i++) {
      try {
        secrets.add(new EncryptedGroupSecrets(refs.get(i), futures.get(i).get()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CryptoException("interrupted while encrypting the Welcome", e);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new CryptoException("Welcome encryption failed", e.getCause());
      }
    }
    return new Welcome(crypto.cipherSuite().id(), secrets, Bytes.wrap(encryptedGroupInfo));
  }

  /** Installs this member's own pending commit once the Delivery Service accepted it. */
  public void mergePendingCommit() {
    changes++;
    if (pendingCommit == null) {
      throw new IllegalStateException("no pending commit");
    }
    StagedCommit s = pendingCommit;
    pendingCommit = null;
    nextCredential = null;
    install(s);
  }

  /** Drops this member's pending commit (another commit won the epoch). */
  public void discardPendingCommit() {
    changes++;
    if (pendingCommit != null && pendingCommit.next != null) {
      pendingCommit.next.destroy();
      pendingCommit = null;
    }
  }

  public boolean hasPendingCommit() {
    return pendingCommit != null;
  }

  // ====================================================================== receiving

  /** The retained epoch a PrivateMessage of this group was sent in (refused if another group's, or not retained). */
  EpochState retainedEpochOf(PrivateMessage pm) throws ValidationException {
    checkGroupAndEpoch(pm.groupId(), pm.epoch(), pm.contentType());
    EpochState st = epochState(pm.epoch());
    if (st == null) {
      throw new ValidationException("rfc9420-6.epoch", "epoch " + pm.epoch() + " is not retained");
    }
    return st;
  }

  private EpochState epochState(long epoch) {
    if (state.epoch() == epoch) {
      return state;
    }
    for (EpochState p : past) {
      if (p.epoch() == epoch) {
        return p;
      }
    }
    return null;
  }

  /**
   * Verifies and interprets an incoming message (§6, §12). Application messages are decrypted
   * (from the current or a retained past epoch); proposals are cached; commits are fully verified
   * and returned staged, to be applied with {@link #merge}. A refused message changes nothing.
   */
  public Processed process(MlsMessage message) throws ValidationException, CryptoException {
    changes++;
    requireActive();
    if (message.version() != ProtocolVersion.MLS10) {
      throw new ValidationException("rfc9420-6.version", "protocol version " + message.version() + " is not mls10");
    }
    AuthenticatedContent ac;
    EpochState st;
    int generation = -1;
    if (message.body() instanceof PublicMessage) {
      PublicMessage pm = (PublicMessage) message.body();
      FramedContent fc = pm.content();
      checkGroupAndEpoch(fc.groupId(), fc.epoch(), fc.contentType());
      st = state;
      if (fc.contentType() == ContentType.APPLICATION) {
        throw new ValidationException("rfc9420-6.2.public-application", "application data must be sent as PrivateMessage");
      }
      if (fc.sender().senderType() == SenderType.MEMBER && config.encryptHandshakes() && config.requireHandshakeWireFormat()) {
        throw new ValidationException("policy.handshake-wire-format", "this group's handshakes must be encrypted (PrivateMessage)");
      }
      ac = pm.authenticatedContent();
      verifyPublicSender(pm, st);
    } else if (message.body() instanceof PrivateMessage) {
      PrivateMessage pm = (PrivateMessage) message.body();
      st = retainedEpochOf(pm);
      if (pm.contentType() != ContentType.APPLICATION && !config.encryptHandshakes() && config.requireHandshakeWireFormat()) {
        throw new ValidationException("policy.handshake-wire-format", "this group's handshakes must be PublicMessages");
      }
      Framing.Opened opened = decryptPrivate(pm, st);
      ac = opened.content();
      generation = opened.generation();
    } else {
      throw new ValidationException("rfc9420-6.wire-format", "a " + message.wireFormat() + " is not processed by a group");
    }
    switch (ac.content().contentType()) {
      case APPLICATION:
        ApplicationData ad = (ApplicationData) ac.content().content();
        return new ApplicationMessage(ac.content().sender().index(), ac.content().epoch(), generation, ad.data(),
            ac.content().authenticatedData());
      case PROPOSAL:
        return receiveProposal(ac);
      default:
        return stageCommit(ac);
    }
  }

  private void checkGroupAndEpoch(Bytes groupId, long epoch, ContentType type) throws ValidationException {
    if (!groupId.equals(groupId())) {
      throw new ValidationException("rfc9420-6.group-id", "the message is for another group");
    }
    if (type != ContentType.APPLICATION && epoch != epoch()) {
      throw new ValidationException("rfc9420-12.4.2.epoch",
          "handshake for epoch " + epoch + " while the group is at epoch " + epoch());
    }
  }

  private Framing.Opened decryptPrivate(PrivateMessage pm, EpochState st) throws ValidationException, CryptoException {
    Framing.Opened opened = Framing.open(crypto, pm, st.secretTree, st.secrets.senderDataSecret(), st.tree.leafCount());
    verifyPrivateSender(opened.content(), st, senderOf(opened.content(), st));
    return opened;
  }

  /** The leaf that signed a decrypted PrivateMessage's content (§6.3.2). */
  static LeafNode senderOf(AuthenticatedContent ac, EpochState st) throws ValidationException {
    LeafNode sender = st.tree.leaf(ac.content().sender().index());
    if (sender == null) {
      throw new ValidationException("rfc9420-6.3.2.sender-blank", "the sender's leaf is blank");
    }
    return sender;
  }

  void verifyPrivateSender(AuthenticatedContent ac, EpochState st, LeafNode sender) throws ValidationException {
    if (!Framing.verifySignature(crypto, ac, st.context, sender.signatureKey())) {
      throw crypto.signatureRefusal(sender.signatureKey(), "the sender's signature key", "rfc9420-6.1.signature",
          "the signature does not verify");
    }
  }

  /** Refuses one more cached proposal beyond {@link GroupServices.Limits#cachedProposals()} (checked before the proposal's own checks). */
  static void checkProposalRoom(int cached, GroupServices services) throws ValidationException {
    int limit = services.limits().cachedProposals();
    if (cached >= limit) {
      throw new ValidationException("limit.cached-proposals",
          "this epoch already holds " + limit + " proposals, the most kept before a commit; commit them first");
    }
  }

  /** One message's outcome in {@link #processApplications}: the message, or why it was refused. */
  public record Outcome(ApplicationMessage message, MlsException refusal) {}

  /**
   * Processes application messages of this group in order, with the same checks, refusals and
   * ratchet keys consumed as {@link #process} called on each, but with the signature checks (most of
   * the work of an application message) spread over the services' executor. Returns one outcome per
   * message, in order; a refused message does not stop the others. A message that is not an
   * application PrivateMessage is refused in its place ({@code api.application-batch}).
   */
  public List<Outcome> processApplications(List<MlsMessage> messages) throws ValidationException {
    changes++;
    requireActive();
    return ApplicationBatch.process(this, messages);
  }

  private void verifyPublicSender(PublicMessage pm, EpochState st) throws ValidationException {
    Sender s = pm.content().sender();
    Bytes key;
    switch (s.senderType()) {
      case MEMBER: {
        LeafNode leaf = s.index() >= 0 && s.index() < st.tree.leafCount() ? st.tree.leaf(s.index()) : null;
        if (leaf == null) {
          throw new ValidationException("rfc9420-6.sender-blank", "the sender leaf " + Integer.toUnsignedLong(s.index()) + " is blank or absent");
        }
        Framing.verifyMembershipTag(crypto, pm, st.context, st.secrets.membershipKey());
        key = leaf.signatureKey();
        break;
      }
      case EXTERNAL: {
        Extension e = Extension.find(st.context.extensions(), Extension.EXTERNAL_SENDERS);
        List<ExternalSenders.ExternalSender> senders;
        try {
          senders = e == null ? List.of() : ExternalSenders.from(e).senders();
        } catch (DecodeException ex) {
          throw new ValidationException("rfc9420-12.1.8.1.external-senders", "external_senders does not decode");
        }
        if (s.index() < 0 || s.index() >= senders.size()) {
          throw new ValidationException("rfc9420-12.1.8.external-sender", "no external sender " + Integer.toUnsignedLong(s.index()));
        }
        if (pm.content().contentType() != ContentType.PROPOSAL) {
          throw new ValidationException("rfc9420-12.1.8.external-content", "external senders may only propose");
        }
        key = senders.get(s.index()).signatureKey();
        break;
      }
      case NEW_MEMBER_PROPOSAL: {
        if (!(pm.content().content() instanceof Proposal.Add)) {
          throw new ValidationException("rfc9420-12.1.8.new-member-proposal", "a new member may only propose its own Add");
        }
        key = ((Proposal.Add) pm.content().content()).keyPackage().leafNode().signatureKey();
        break;
      }
      default: {
        // new_member_commit: the signer is the joiner's new leaf, carried in the commit's path.
        Commit commit = pm.content().content() instanceof Commit ? (Commit) pm.content().content() : null;
        if (commit == null || commit.path() == null) {
          throw new ValidationException("rfc9420-12.4.3.2.external-path", "an external commit must carry an UpdatePath");
        }
        key = commit.path().leafNode().signatureKey();
      }
    }
    if (!Framing.verifySignature(crypto, pm.authenticatedContent(), st.context, key)) {
      throw crypto.signatureRefusal(key, "the sender's signature key", "rfc9420-6.1.signature", "the signature does not verify");
    }
  }

  private ProposalReceived receiveProposal(AuthenticatedContent ac) throws ValidationException {
    checkProposalRoom(proposals.size(), services);
    Proposal p = (Proposal) ac.content().content();
    Sender s = ac.content().sender();
    if (p instanceof Proposal.ExternalInit) {
      throw new ValidationException("rfc9420-12.1.6.external-init", "ExternalInit cannot be sent as a proposal");
    }
    if (p instanceof Proposal.Update && s.senderType() != SenderType.MEMBER) {
      throw new ValidationException("rfc9420-12.1.2.update-sender", "only members send Update proposals");
    }
    if (p instanceof Proposal.Add) {
      KeyPackages.validate(crypto, services, ((Proposal.Add) p).keyPackage(), state.context.extensions(),
          services.clock().instant().getEpochSecond());
    }
    services.proposals().validate(p, s, state.context, state.tree);
    Bytes ref = crypto.makeProposalRef(ac.toByteArray());
    proposals.put(ref, new CachedProposal(p, s, ref));
    return new ProposalReceived(p, s, ref);
  }

  private StagedCommit stageCommit(AuthenticatedContent ac) throws ValidationException, CryptoException {
    Sender s = ac.content().sender();
    boolean external = s.senderType() == SenderType.NEW_MEMBER_COMMIT;
    if (!external && s.senderType() != SenderType.MEMBER) {
      throw new ValidationException("rfc9420-12.4.sender", "commits come from members or new members");
    }
    int committer = external ? -1 : s.index();
    if (committer == state.myLeaf) {
      throw new ValidationException("rfc9420-12.4.2.own-commit", "this is our own commit: use mergePendingCommit()");
    }
    Commit commit = (Commit) ac.content().content();
    List<ProposalList.Entry> entries = new ArrayList<>();
    for (ProposalOrRef por : commit.proposals()) {
      if (por.isReference()) {
        CachedProposal cp = external ? null : proposals.get(por.reference());
        if (cp == null) {
          throw new ValidationException("rfc9420-12.4.unknown-proposal", "the commit references a proposal this member has not seen");
        }
        entries.add(new ProposalList.Entry(cp.proposal(), cp.sender(), cp.ref()));
      } else {
        if (por.proposal() instanceof Proposal.SelfRemove) {
          throw new ValidationException("draft-mls-extensions.self-remove", "SelfRemove must be committed by reference");
        }
        entries.add(new ProposalList.Entry(por.proposal(), s, null));
      }
    }
    long now = services.clock().instant().getEpochSecond();
    ProposalList.Applied applied = ProposalList.apply(crypto, services, state, entries, committer, external, now);
    if ((applied.pathRequired || external) && commit.path() == null) {
      throw new ValidationException("rfc9420-12.4.2.path-required", "the commit covers proposals that require a path but has none");
    }
    org.jmls.tree.RatchetTree tree = applied.tree;
    byte[] initSecret = state.secrets.initSecret().unsafeArray();
    if (external) {
      // The joiner takes the leftmost blank leaf; its init secret comes from the ExternalInit (§12.4.3.2).
      committer = tree.addLeaf(commit.path().leafNode());
      KeyPair ext = state.secrets.externalKeyPair();
      initSecret = crypto.hpke().receiveExport(applied.externalInit.kemOutput().unsafeArray(),
          ext.privateKey().unsafeArray(), new byte[0], EXTERNAL_INIT_LABEL, crypto.hashLength());
      ext.privateKey().destroy();
    }
    boolean removesMe = applied.removedLeaves.contains(state.myLeaf);
    long newEpoch = epoch() + 1;
    if (removesMe) {
      // Signature and membership tag verified; a removed member cannot derive the new epoch's secrets.
      if (commit.path() != null) {
        LeafValidation.validate(crypto, services, commit.path().leafNode(), LeafNodeSource.COMMIT, groupId(), committer,
            applied.extensions, tree, committer, -1);
      }
      return new StagedCommit(null, newEpoch, applied, committer, true);
    }
    PathKeys keys = retainedKeys(state.keys, tree);
    adoptUpdateKeys(applied, keys);
    Secret commitSecret;
    if (commit.path() != null) {
      UpdatePath path = commit.path();
      LeafNode old = tree.leaf(committer);
      LeafValidation.validate(crypto, services, path.leafNode(), LeafNodeSource.COMMIT, groupId(), committer,
          applied.extensions, tree, committer, -1);
      if (!external && old != null && path.leafNode().encryptionKey().equals(old.encryptionKey())) {
        throw new ValidationException("rfc9420-12.4.2.same-leaf-key", "the committer's new leaf keeps its encryption key");
      }
      LeafValidation.checkPathKeys(crypto, path, tree);
      tree.mergeUpdatePath(committer, path);
      GroupContext provisional = new GroupContext(ProtocolVersion.MLS10, crypto.cipherSuite().id(), groupId(), newEpoch,
          Bytes.wrap(tree.treeHash()), state.context.confirmedTranscriptHash(), applied.extensions);
      int[] joiners = applied.addedLeaves.stream().mapToInt(Integer::intValue).toArray();
      commitSecret = TreeKem.decryptPath(tree, state.myLeaf, committer, path, provisional.toByteArray(), keys, joiners,
          services.executor()).commitSecret();
    } else {
      commitSecret = Secret.wrap(KeySchedule.zero(crypto));
    }
    LeafValidation.checkCredentialTypes(state.tree, tree, applied, committer);
    byte[] confirmed = TranscriptHash.confirmed(crypto, state.interimTranscriptHash.unsafeArray(), ac);
    GroupContext next = new GroupContext(ProtocolVersion.MLS10, crypto.cipherSuite().id(), groupId(), newEpoch,
        Bytes.wrap(tree.treeHash()), Bytes.wrap(confirmed), applied.extensions);
    byte[] pskSecret = KeySchedule.pskSecret(crypto, resolvePsks(applied.psks));
    KeySchedule.Step step = KeySchedule.next(crypto, initSecret, commitSecret.unsafeArray(), pskSecret, next.toByteArray());
    step.joinerSecret().destroy();
    step.welcomeSecret().destroy();
    byte[] tag = step.epoch().confirmationTag(confirmed);
    Bytes given = ac.auth().confirmationTag();
    if (given == null || !java.security.MessageDigest.isEqual(tag, given.unsafeArray())) {
      step.epoch().destroy();
      throw new ValidationException("rfc9420-12.4.2.confirmation-tag", "the confirmation tag does not verify");
    }
    Bytes interim = Bytes.wrap(TranscriptHash.interim(crypto, confirmed, tag));
    EpochState nextState = new EpochState(next, tree, interim, step.epoch(),
        new SecretTree(crypto, step.epoch().encryptionSecret(), tree.leafCount(), config.outOfOrder()), keys, state.myLeaf);
    return new StagedCommit(nextState, newEpoch, applied, committer, false);
  }

  /** When a committed Update replaced this member's own leaf, its private key comes from the proposal. */
  private void adoptUpdateKeys(ProposalList.Applied applied, PathKeys keys) throws ValidationException {
    if (applied.updatedLeaves.contains(state.myLeaf)) {
      Bytes pub = applied.tree.leaf(state.myLeaf).encryptionKey();
      Secret priv = pendingUpdateKeys.get(pub);
      if (priv == null) {
        throw new ValidationException("rfc9420-12.1.2.unknown-own-update", "the commit applies an Update of our leaf we did not send");
      }
      keys.put(2 * state.myLeaf, Secret.copyOf(priv.unsafeArray()));
    }
  }

  /** Copies the keys whose nodes are still non-blank in {@code tree} (blanked nodes lose theirs). */
  private static PathKeys retainedKeys(PathKeys keys, org.jmls.tree.RatchetTree tree) {
    PathKeys out = keys.copy();
    for (int node : new ArrayList<>(out.nodes())) {
      if (node >= tree.nodeCount() || tree.node(node) == null) {
        out.remove(node);
      }
    }
    return out;
  }

  private List<KeySchedule.Psk> resolvePsks(List<PreSharedKeyId> ids) throws ValidationException {
    List<KeySchedule.Psk> out = new ArrayList<>();
    for (PreSharedKeyId id : ids) {
      Secret psk;
      if (id.pskType() == PskType.EXTERNAL) {
        psk = services.psks().external(id.pskId());
      } else {
        EpochState st = id.pskGroupId().equals(groupId()) ? epochState(id.pskEpoch()) : null;
        psk = st != null ? st.secrets.resumptionPsk() : services.psks().resumption(id.pskGroupId(), id.pskEpoch());
      }
      if (psk == null) {
        throw new ValidationException("rfc9420-12.4.2.psk-unavailable", "a PreSharedKey proposal names a PSK this member lacks");
      }
      out.add(new KeySchedule.Psk(id, psk));
    }
    return out;
  }

  /** Applies a commit staged by {@link #process}. The old epoch is kept per {@link GroupConfig#pastEpochs()}. */
  public void merge(StagedCommit staged) {
    changes++;
    Objects.requireNonNull(staged, "staged");
    if (staged.newEpoch() != epoch() + 1) {
      throw new IllegalStateException("the staged commit is not for the current epoch");
    }
    discardPendingCommit();
    install(staged);
  }

  private void install(StagedCommit s) {
    proposals.clear();
    sentProposalRefs.clear();
    pendingUpdateKeys.values().forEach(Secret::destroy);
    pendingUpdateKeys.clear();
    if (s.removesMe) {
      // Removed: keep the past epochs for late messages, but nothing of the current one can be used.
      active = false;
      state.keys.destroy();
      return;
    }
    if (s.applied.reinit != null) {
      reinit = s.applied.reinit;
    }
    past.addFirst(state);
    state.keys.destroy();
    state.secrets.retire();
    while (past.size() > config.pastEpochs()) {
      past.removeLast().destroy();
    }
    state = s.next;
  }
}
