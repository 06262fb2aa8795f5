package org.jmls.client;

import java.io.IOException;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.cert.X509CertificateHolder;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.group.GroupConfig;
import org.jmls.ds.http.CommitBundle;
import org.jmls.ds.http.DsSession;
import org.jmls.as.AsClient;
import org.jmls.as.AuthenticationService;
import org.jmls.as.X509CredentialValidator;
import org.jmls.as.X509Credentials;
import org.jmls.codec.TlsReader;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.DefaultCryptoProvider;
import org.jmls.crypto.MlsCrypto;
import org.jmls.ds.http.DsClient;
import org.jmls.group.Group;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.KeyPackages;
import org.jmls.message.Credential;
import org.jmls.message.GroupInfo;
import org.jmls.message.KeyPackage;
import org.jmls.message.LeafNode;
import org.jmls.message.Lifetime;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;

/**
 * One device of one user against a jmls AS and DS (RFC 9750): enrols (the signature key is made
 * here and never leaves the device), registers, keeps KeyPackages stocked, creates and joins
 * groups, adds and removes users (all their devices), sends and receives, and recovers after state
 * loss by external commit. Commit races are handled: when the DS reports another commit won, the
 * client processes the winner and re-issues its intent (bounded retries). Not thread-safe.
 */
public final class MlsClient {
  static final int RETRIES = 8;

  /** A message received by {@link #sync()}. */
  public record Received(Bytes groupId, String fromUser, String fromDevice, String text) {}

  /**
   * A change to this device's groups seen by {@link #sync()}: it joined a group (from a Welcome),
   * was removed from one, or a member renamed one ({@code name} is the group's name after the change,
   * {@code previousName} before it; either is null for a group without a name).
   */
  public record GroupChange(Bytes groupId, Kind kind, String name, String previousName) {
    public enum Kind { JOINED, REMOVED, RENAMED }
  }

  /** Observes what crosses the wire: operation name, bytes, epoch after. */
  @FunctionalInterface
  public interface WireLog {
    void sent(String what, int bytes, long epoch);
  }

  private final String base;
  private final String user;
  private final String device;
  private final CipherSuite suite;
  private final MlsCrypto crypto;
  /** What this device keeps between runs, and its store. */
  final ClientState state;
  private AsClient as;
  private HttpClient shared;
  DsClient ds;
  GroupServices services;
  final List<String> problems = new ArrayList<>();
  WireLog wire = (w, b, e) -> {};
  java.util.function.Consumer<String> progress = s -> {};
  java.time.Clock clock = java.time.Clock.systemUTC();
  final LeafAges leafAges = new LeafAges();

  /** The clock used for policy timers (self-update interval, staleness). */
  public void clock(java.time.Clock c) {
    this.clock = c;
  }

  void observe(Bytes gid) {
    leafAges.observe(gid, state.groups.get(gid), clock.instant().getEpochSecond());
  }

  /**
   * Applies the time-based parts of each group's policy (RFC 9750 §7): refreshes this device's keys
   * when its leaf is older than the self-update interval, and, as an admin, removes devices whose
   * leaves have not changed for longer than the staleness limit. Returns a line per action taken.
   */
  public List<String> maintain() throws Exception {
    List<String> actions = new ArrayList<>();
    long now = clock.instant().getEpochSecond();
    for (Bytes gid : new ArrayList<>(state.groups.keySet())) {
      Group g = state.groups.get(gid);
      GroupPolicy policy = g == null ? null : GroupPolicy.of(g.context()); // null: left while catching up for another group
      if (policy == null) {
        continue;
      }
      observe(gid);
      Long mine = leafAges.firstSeen(gid, g.member(g.myLeafIndex()));
      if (now - (mine == null ? now : mine) > policy.selfUpdateIntervalSeconds()) {
        updateKeys(gid);
        actions.add("updated own keys in " + gid.hex());
      }
      if (!policy.isAdmin(user)) {
        continue;
      }
      List<Integer> stale = new ArrayList<>();
      for (Map.Entry<Integer, LeafNode> e : state.groups.get(gid).members().entrySet()) {
        Long first = leafAges.firstSeen(gid, e.getValue());
        if (e.getKey() != state.groups.get(gid).myLeafIndex() && first != null && now - first > policy.maxStalenessSeconds()) {
          stale.add(e.getKey());
        }
      }
      if (!stale.isEmpty()) {
        commit(gid, "remove stale members", gr -> {
          List<Proposal> removes = new ArrayList<>();
          for (int leaf : stale) {
            if (gr.members().containsKey(leaf)) {
              removes.add(new Proposal.Remove(leaf));
            }
          }
          return removes;
        }, false);
        actions.add("removed " + stale.size() + " stale device(s) from " + gid.hex());
      }
    }
    return actions;
  }

  /**
   * A device of {@code user} talking to the servers at {@code baseUrl}: one URL, or the nodes of one
   * deployment comma-separated ({@code http://a:8420,http://b:8420}); requests go to the first and
   * move to the next when a node cannot be reached.
   */
  public MlsClient(String baseUrl, String user, String device, CipherSuite suite) {
    this(baseUrl, new ClientState(user, device, suite));
  }

  private MlsClient(String baseUrl, ClientState state) {
    this.base = baseUrl;
    this.state = state;
    this.user = state.user;
    this.device = state.device;
    this.suite = state.suite;
    this.crypto = DefaultCryptoProvider.instance().suite(suite);
    this.as = new AsClient(baseUrl, HttpClient.newHttpClient());
  }

  /**
   * Sends every request of this client through {@code http} instead of a client of its own: many
   * devices in one process (bots, load generators) then share its connections and its selector
   * thread rather than holding a set each. Call before {@link #enrol} or after {@link #restore}.
   */
  public MlsClient sharing(HttpClient http) {
    this.shared = http;
    this.as = new AsClient(base, http);
    if (ds != null) {
      ds = ds.sharing(http);
      link = new SessionLink(ds);
    }
    return this;
  }

  public String user() {
    return user;
  }

  public String device() {
    return device;
  }

  public String clientId() {
    return user + "/" + device;
  }

  public void onWire(WireLog log) {
    this.wire = log;
  }

  /** Observes the steps of long operations (claims, lost commit races, catching up), one sentence each. */
  public void onProgress(java.util.function.Consumer<String> steps) {
    this.progress = steps;
  }

  private Map<?, ?> post(String path, Object body, String bearer) throws IOException, InterruptedException {
    AsClient.Response r = as.call("POST", path, body, bearer);
    if (r.status() >= 300) {
      throw new ClientException(path + " refused (" + r.status() + "): " + r.message());
    }
    return r.json();
  }

  private static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  static byte[] unb64(Object o) {
    return Base64.getDecoder().decode((String) o);
  }

  /**
   * Enrols with the AS (operator token or invite code), registers with the DS, and uploads
   * {@code oneTime} KeyPackages plus a last-resort one. The signature private key stays here.
   */
  public void enrol(String adminToken, String inviteCode, int oneTime) throws Exception {
    state.signature = crypto.generateSignatureKeyPair();
    long ts = System.currentTimeMillis();
    Bytes proof = crypto.signWithLabel(state.signature.privateKey(), "jmls AS enrolment",
        AuthenticationService.enrolTbs(user, device, suite.id(), state.signature.publicKey(), ts));
    Map<String, Object> req = new LinkedHashMap<>(Map.of("user", user, "device", device, "cipherSuite", suite.id(),
        "signatureKey", b64(state.signature.publicKey().toByteArray()), "timestamp", ts, "proof", b64(proof.toByteArray())));
    if (inviteCode != null) {
      req.put("inviteCode", inviteCode);
    }
    Map<?, ?> issued = post("/as/enrol", req, adminToken);
    state.credential = TlsReader.decode(unb64(issued.get("credential")), Credential::decode);
    connect();
    DsClient.Response reg = ds.call("POST", "/ds/clients", Map.of("clientId", clientId(), "userId", user,
        "signatureKey", b64(state.signature.publicKey().toByteArray()), "credential", b64(state.credential.toByteArray()), "cipherSuite", suite.id()));
    check(reg, 201, "registration");
    publishKeyPackages(oneTime, true);
  }

  private java.util.concurrent.ExecutorService workers;
  SessionLink link;

  /**
   * Spreads the independent crypto work of large groups over {@code pool} (path and Welcome HPKE
   * encryptions, leaf-signature checks when joining): with two cores a commit to a sparse group of
   * thousands takes about half the time. {@code null} (the default) does everything on the caller's
   * thread. The pool is the caller's to shut down.
   */
  public void workers(java.util.concurrent.ExecutorService pool) {
    this.workers = pool;
    if (services != null) {
      services = services.withExecutor(pool);
    }
  }

  /** Fetches the AS root (credentials of other members are checked against it) and opens the DS client. */
  private void connect() throws Exception {
    byte[] root = as.root();
    org.jmls.group.CredentialValidator validator = new X509CredentialValidator(new X509CertificateHolder(root),
        java.time.Clock.systemUTC(), serial -> false, false);
    org.jmls.as.AsClient.FederationRoots federated = as.federationRoots();
    if (federated != null) {
      // A federated provider: members of its peers' domains are checked under their own AS's root.
      String domain = federated.domain();
      Map<String, org.jmls.as.FederatedCredentialValidator.PeerAuthority> peers = new java.util.LinkedHashMap<>();
      for (Map.Entry<String, byte[]> e : federated.roots().entrySet()) {
        if (!e.getKey().equals(domain)) {
          peers.put(e.getKey(), new org.jmls.as.FederatedCredentialValidator.PeerAuthority(new X509CertificateHolder(e.getValue()),
              serial -> false));
        }
      }
      validator = new org.jmls.as.FederatedCredentialValidator(domain, validator, peers, java.time.Clock.systemUTC());
    }
    services = GroupServices.development().withCredentials(validator).withProposalValidator(GroupPolicy.VALIDATOR);
    if (workers != null) {
      services = services.withExecutor(workers);
    }
    ds = new DsClient(base, clientId(), crypto, state.signature.privateKey());
    if (shared != null) {
      ds = ds.sharing(shared);
    }
    link = new SessionLink(ds);
  }

  static void check(DsClient.Response r, int expected, String what) {
    if (r.status() != expected) {
      throw new ClientException(what + " refused (" + r.status() + "): " + (r.json() == null ? "" : r.json().get("message")));
    }
  }

  /** Uploads {@code n} fresh one-time KeyPackages (and a last-resort one when asked). */
  public void publishKeyPackages(int n, boolean lastResort) throws Exception {
    List<Map<String, Object>> batch = new ArrayList<>();
    long now = System.currentTimeMillis() / 1000;
    for (int i = 0; i < n + (lastResort ? 1 : 0); i++) {
      org.jmls.message.Capabilities base = KeyPackages.defaultCapabilities(suite);
      List<Integer> ext = new ArrayList<>(base.extensions());
      ext.add(GroupPolicy.EXTENSION_TYPE);
      ext.add(GroupName.EXTENSION_TYPE);
      org.jmls.message.Capabilities caps = new org.jmls.message.Capabilities(base.versions(), base.cipherSuites(), ext,
          base.proposals(), base.credentials());
      KeyPackageBundle kp = KeyPackages.create(crypto, state.credential, state.signature, caps,
          new Lifetime(now - 60, now + 30L * 86400), List.of(), List.of());
      state.keyPackages.put(KeyPackages.ref(crypto, kp.keyPackage()), kp);
      batch.add(Map.of("data", b64(MlsMessage.of(kp.keyPackage()).toByteArray()), "lastResort", i == n));
    }
    persist();
    check(ds.call("POST", "/ds/key-packages", Map.of("keyPackages", batch)), 201, "KeyPackage upload");
  }

  /**
   * Keeps the KeyPackage stock up (RFC 9750 §5.1): uploads one-time KeyPackages when the DS reports
   * fewer than {@code target} left, and a fresh last-resort one after the current one was handed
   * out. Returns how many were uploaded.
   */
  public int replenishKeyPackages(int target) throws Exception {
    DsClient.Response r = ds.call("GET", "/ds/key-packages/stock", null);
    check(r, 200, "stock query");
    int oneTimeLeft = 0;
    boolean rotate = false;
    boolean hasLastResort = false;
    for (Object o : (List<?>) r.json().get("stock")) {
      Map<?, ?> st = (Map<?, ?>) o;
      if (((Number) st.get("cipherSuite")).intValue() == suite.id()) {
        oneTimeLeft = ((Number) st.get("oneTimeLeft")).intValue();
        rotate = Boolean.TRUE.equals(st.get("rotateLastResort"));
        hasLastResort = Boolean.TRUE.equals(st.get("hasLastResort"));
      }
    }
    int missing = Math.max(0, target - oneTimeLeft);
    boolean lastResort = rotate || !hasLastResort;
    if (missing == 0 && !lastResort) {
      return 0;
    }
    publishKeyPackages(missing, lastResort);
    return missing + (lastResort ? 1 : 0);
  }

  /** Creates a group with this user as its only admin ({@link GroupPolicy#defaults}). */
  public Bytes createGroup(String name) throws Exception {
    return createGroup(name, GroupPolicy.defaults(user));
  }

  /**
   * Creates a group named {@code name} ({@link GroupName}: every member sees it) governed by
   * {@code policy} (agreed in the GroupContext, enforced by every member), with this device as its
   * only member. Handshakes are PublicMessages unless the policy says otherwise, so the DS can
   * verify every commit.
   */
  public Bytes createGroup(String name, GroupPolicy policy) throws Exception {
    if (!policy.allowedSuites().contains(suite.id())) {
      throw new ClientException("the group's policy does not allow this device's cipher suite " + suite.label()
          + (policy.allowedSuites().isEmpty() ? "" : "; it allows " + policy.allowedSuites().stream()
              .map(i -> String.format("0x%04X", i)).collect(java.util.stream.Collectors.joining(", ")))
          + " (a device's suite is chosen at 'jmls register --suite')");
    }
    Bytes gid = Bytes.wrap(crypto.randomBytes(16));
    KeyPackageBundle own = state.keyPackages.values().iterator().next();
    Group g = Group.create(services, policy.config(), gid, own, List.of(policy.toExtension(), GroupName.toExtension(name)));
    MlsMessage gi = g.groupInfo(true);
    check(ds.call("POST", "/ds/groups", Map.of("groupInfo", b64(gi.toByteArray()), "publicHandshakes", !policy.encryptedHandshakes(),
        "externalJoins", policy.externalJoins())), 201, "group creation");
    state.groups.put(gid, g);
    observe(gid);
    persist();
    wire.sent("GroupInfo (create " + name + ")", gi.toByteArray().length, g.epoch());
    return gid;
  }

  /** This device's signed connection to the DS (for tests and tools in this package). */
  DsClient dsClient() {
    return ds;
  }

  Group group(Bytes gid) {
    Group g = state.groups.get(gid);
    if (g == null) {
      throw new ClientException("this device is not in group " + gid.hex());
    }
    return g;
  }

  /** The members (leaf index to leaf) of the ratchet tree carried in a GroupInfo's ratchet_tree extension. */
  Map<Integer, LeafNode> treeOf(MlsMessage groupInfo) throws Exception {
    return leaves(treeNodesOf(groupInfo));
  }

  static List<org.jmls.message.Node> treeNodesOf(MlsMessage groupInfo) throws Exception {
    org.jmls.message.GroupInfo gi = (org.jmls.message.GroupInfo) groupInfo.body();
    org.jmls.message.Extension e = org.jmls.message.Extension.find(gi.extensions(), org.jmls.message.Extension.RATCHET_TREE);
    if (e == null) {
      throw new ClientException("the GroupInfo carries no ratchet tree");
    }
    return org.jmls.extension.RatchetTree.from(e).nodes();
  }

  /**
   * A group's ratchet tree at {@code epoch} from the DS (untrusted: the caller validates it in full
   * against the signed GroupInfo, RFC 9420 §12.4.3.1).
   */
  List<org.jmls.message.Node> treeFromDs(Bytes gid, long epoch) throws ValidationException {
    DsClient.Response r;
    try {
      r = ds.call("GET", "/ds/groups/" + gid.hex() + "/tree?epoch=" + epoch, null);
    } catch (Exception e) {
      throw new ValidationException("client.tree-fetch", "could not fetch the group's ratchet tree from the DS: " + e.getMessage());
    }
    if (r.status() != 200) {
      throw new ValidationException("client.tree-fetch", "the DS did not serve the ratchet tree for epoch " + epoch + " (" + r.status() + ")");
    }
    try {
      return org.jmls.extension.RatchetTree.fromBytes(r.raw(), Integer.MAX_VALUE).nodes();
    } catch (org.jmls.codec.DecodeException e) {
      throw new ValidationException("client.tree-decode", "the ratchet tree the DS served does not decode: " + e.reason());
    }
  }

  private Map<Integer, LeafNode> leaves(List<org.jmls.message.Node> nodes) throws Exception {
    org.jmls.tree.RatchetTree tree = org.jmls.tree.RatchetTree.fromNodes(crypto, nodes);
    Map<Integer, LeafNode> out = new LinkedHashMap<>();
    for (int l = 0; l < tree.leafCount(); l++) {
      if (tree.leaf(l) != null) {
        out.put(l, tree.leaf(l));
      }
    }
    return out;
  }

  /** Runs when the DS's answer to a commit arrives, before it is acted on (tests simulate a crash there). */
  java.util.function.IntConsumer afterPost = status -> {};
  /** Test hook: runs when a commit is built and merged speculatively, just before it is posted. */
  Runnable beforePost = () -> {};

  /** How commits are made, raced and settled (see {@link Committing}). */
  private final Committing committing = new Committing(this);

  /** Settles commits whose DS answer never arrived (see {@link Committing#resolvePending}). */
  void resolvePendingCommits() throws Exception {
    committing.resolvePending();
  }

  /** Commits {@code intent}; on a lost race, catches up and retries. */
  private long commit(Bytes gid, String what, Committing.Intent intent, boolean forcePath) throws Exception {
    return committing.commit(gid, what, intent, forcePath);
  }

  /** Adds every device of {@code otherUser} that is not yet in the group (claims one KeyPackage per device). */
  public long addUser(Bytes gid, String otherUser) throws Exception {
    return addUsers(gid, List.of(otherUser));
  }

  /**
   * Adds every device of each of {@code users} that is not yet in the group, in one commit (one
   * KeyPackage claimed per device). Fails, adding nobody, when a user has no device to add.
   */
  public long addUsers(Bytes gid, java.util.Collection<String> users) throws Exception {
    if (users.isEmpty()) {
      throw new IllegalArgumentException("no users to add");
    }
    String what = users.size() == 1 ? "add " + users.iterator().next() : "add " + users.size() + " users";
    return commit(gid, what, g -> {
      List<Proposal> adds = new ArrayList<>();
      GroupPolicy policy = GroupPolicy.of(g.context());
      long now = clock.instant().getEpochSecond();
      java.util.Set<Bytes> chosen = new java.util.HashSet<>();
      org.jmls.tree.RatchetTree tree = g.tree();
      // Claimed in batches (one request per 1,000 users): a bulk add of thousands is a few requests.
      List<String> all = new ArrayList<>(new java.util.LinkedHashSet<>(users));
      Map<String, List<KeyPackage>> claimed = new LinkedHashMap<>();
      for (int from = 0; from < all.size(); from += 1000) {
        List<String> chunk = all.subList(from, Math.min(all.size(), from + 1000));
        progress.accept("claiming a KeyPackage for every device of " + (chunk.size() == 1 ? chunk.get(0) : chunk.size() + " users"));
        DsClient.Response claim = ds.call("POST", "/ds/key-packages/claim", Map.of("userIds", chunk, "cipherSuite", suite.id()));
        check(claim, 200, "KeyPackage claim");
        for (String u : chunk) {
          claimed.put(u, new ArrayList<>());
        }
        for (Object o : (List<?>) claim.json().get("keyPackages")) {
          Map<?, ?> entry = (Map<?, ?>) o;
          claimed.get(String.valueOf(entry.get("userId"))).add((KeyPackage) MlsMessage.fromBytes(unb64(entry.get("data"))).body());
        }
      }
      for (String otherUser : all) {
        int stale = 0;
        int before = adds.size();
        for (KeyPackage kp : claimed.get(otherUser)) {
          Bytes key = kp.leafNode().signatureKey();
          if (tree.leafWithSignatureKey(key) < 0 && !key.equals(state.signature.publicKey()) && chosen.add(key)) {
            if (policy != null && !policy.freshEnough(kp, now)) {
              stale++; // older than the group's KeyPackage lifetime: that device must publish fresh ones
            } else {
              adds.add(new Proposal.Add(kp));
            }
          }
        }
        if (adds.size() == before && stale > 0) {
          throw new ClientException(otherUser + "'s KeyPackages are older than this group's KeyPackage lifetime ("
              + policy.keyPackageLifetimeSeconds() + " s); " + otherUser + " must publish fresh ones (replenish) before being added");
        }
        if (adds.size() == before) {
          throw new ClientException(otherUser + " has no device to add: none with KeyPackages in this group's cipher suite "
              + suite.label() + " (a device registered in another suite cannot join), or all already in the group");
        }
      }
      return adds;
    }, false);
  }

  /**
   * Brings this user's other devices into every group this device is in (RFC 9750 §5.10): for each
   * group, the user's devices that are not yet members are added. Returns the number of groups
   * changed.
   */
  public int addMyNewDevices() throws Exception {
    int changed = 0;
    for (Bytes gid : new ArrayList<>(state.groups.keySet())) {
      GroupPolicy policy = GroupPolicy.of(group(gid).context());
      if (policy != null && !policy.isAdmin(user)) {
        continue; // only the group's admins may add devices there
      }
      try {
        addUser(gid, user);
        changed++;
      } catch (ClientException nothingToAdd) {
        // every device of this user is already in this group
      }
    }
    return changed;
  }

  /** The groups this device is in. */
  public List<Bytes> groups() {
    return List.copyOf(state.groups.keySet());
  }

  /** The name the members agreed for a group ({@link GroupName}), or null for a group created without one. */
  public String groupName(Bytes gid) throws ValidationException {
    return GroupName.of(group(gid).context());
  }

  /** The groups this device is in whose agreed name is {@code name} (names are not unique). */
  public List<Bytes> groupsNamed(String name) throws ValidationException {
    List<Bytes> out = new ArrayList<>();
    for (Map.Entry<Bytes, Group> e : state.groups.entrySet()) {
      if (name.equals(GroupName.of(e.getValue().context()))) {
        out.add(e.getKey());
      }
    }
    return out;
  }

  /**
   * Renames a group for every member: a commit of a GroupContextExtensions proposal that replaces
   * only the name (any member may; {@link GroupPolicy#VALIDATOR}). Returns the new epoch.
   */
  public long renameGroup(Bytes gid, String name) throws Exception {
    org.jmls.message.Extension named = GroupName.toExtension(name);
    return commit(gid, "rename to " + name, g -> {
      List<org.jmls.message.Extension> next = new ArrayList<>(GroupName.without(g.context().extensions()));
      next.add(named);
      return List.of(new Proposal.GroupContextExtensions(next));
    }, false);
  }

  /**
   * Renews this device's credential with the AS (signed with the device key; no operator needed)
   * and puts it into every group with a commit (RFC 9750 §6 credential rotation). New KeyPackages
   * carry it from now on.
   */
  public void renewCredential() throws Exception {
    org.bouncycastle.cert.X509CertificateHolder cert = X509Credentials.leaf(state.credential);
    String serial = cert.getSerialNumber().toString(16);
    long ts = System.currentTimeMillis();
    Bytes proof = crypto.signWithLabel(state.signature.privateKey(), "jmls AS renewal", AuthenticationService.renewTbs(serial, ts));
    Map<?, ?> issued = post("/as/renew", Map.of("serial", serial, "timestamp", ts, "proof", b64(proof.toByteArray())), null);
    state.credential = TlsReader.decode(unb64(issued.get("credential")), Credential::decode);
    // The DS keeps checking the stored credential (revocation, expiry): it gets the renewed one.
    check(ds.call("POST", "/ds/clients/credential", Map.of("credential", b64(state.credential.toBytes().toByteArray()))), 200,
        "credential update at the DS");
    for (Bytes gid : new ArrayList<>(state.groups.keySet())) {
      Credential fresh = state.credential;
      commit(gid, "renew credential", g -> {
        g.useCredential(fresh);
        return List.of();
      }, true);
    }
    persist();
  }

  /** When this device's certificate expires (epoch seconds): renew before then. */
  public long credentialNotAfter() throws Exception {
    return X509Credentials.leaf(state.credential).getNotAfter().getTime() / 1000;
  }

  /** Removes every device of {@code otherUser} from the group. */
  public long removeUser(Bytes gid, String otherUser) throws Exception {
    return commit(gid, "remove " + otherUser, g -> {
      List<Proposal> removes = new ArrayList<>();
      for (Map.Entry<Integer, LeafNode> e : g.members().entrySet()) {
        if (X509Credentials.user(e.getValue().credential()).equals(otherUser) && e.getKey() != g.myLeafIndex()) {
          removes.add(new Proposal.Remove(e.getKey()));
        }
      }
      if (removes.isEmpty()) {
        throw new ClientException(otherUser + " has no device in this group");
      }
      return removes;
    }, false);
  }

  /** Refreshes this device's keys (a commit with a path: forward secrecy and post-compromise security). */
  public long updateKeys(Bytes gid) throws Exception {
    return commit(gid, "update keys", g -> List.of(), true);
  }

  /** Commits the pending proposals (for example someone's SelfRemove). */
  public long commitPending(Bytes gid) throws Exception {
    return commit(gid, "commit pending proposals", g -> List.of(), false);
  }

  /** Asks to leave: a SelfRemove proposal that another member commits. */
  public void leave(Bytes gid) throws Exception {
    MlsMessage m = group(gid).proposeSelfRemove();
    persist();
    check(ds.send("POST", "/ds/messages", m.toByteArray(), "message/mls"), 200, "leave");
    wire.sent("SelfRemove proposal", m.toByteArray().length, group(gid).epoch());
  }

  /** Sends a text message. */
  public void send(Bytes gid, String text) throws Exception {
    sendAll(gid, List.of(text));
  }

  /**
   * Sends several texts to a group, in order. Over an open session they are pipelined (all posted,
   * then all answers awaited); otherwise, or if the session breaks, each goes by HTTP. A refusal
   * by the DS fails with its reason either way.
   */
  public void sendAll(Bytes gid, List<String> texts) throws Exception {
    List<MlsMessage> ms = new ArrayList<>();
    for (String text : texts) {
      ms.add(group(gid).encrypt(text.getBytes(java.nio.charset.StandardCharsets.UTF_8), new byte[0]));
    }
    // The ratchet advanced: persist before posting, so a crash can never reuse a generation.
    persist();
    int sent = 0;
    DsSession s = link.current();
    if (s != null) {
      sent = link.postAll(s, ms.stream().map(MlsMessage::toByteArray).toList());
    }
    for (MlsMessage m : ms.subList(sent, ms.size())) {
      check(ds.send("POST", "/ds/messages", m.toByteArray(), "message/mls"), 200, "send");
    }
    for (MlsMessage m : ms) {
      wire.sent("application message", m.toByteArray().length, group(gid).epoch());
    }
  }

  /**
   * Fetches and processes the queue in order, acknowledging what was processed; returns the texts
   * received since the last call, including those picked up while catching up inside another
   * operation (a lost commit race, a device that was behind), which are kept in the store until
   * returned here, so a process that ends in between loses none of them.
   */
  public List<Received> sync() throws Exception {
    drain();
    List<Received> out = state.takeInbox();
    if (!out.isEmpty()) {
      persist();
    }
    return out;
  }

  /**
   * As {@link #sync()}; when nothing is waiting at the DS, first waits up to {@code millis} for
   * something to arrive (the DS's long-poll: the call returns as soon as a message is stored for
   * this device, not after a fixed delay).
   */
  public List<Received> syncWaiting(long millis) throws Exception {
    long before = state.queueSeq;
    List<Received> out = sync();
    if (!out.isEmpty() || state.queueSeq != before) {
      return out; // something was waiting (texts, or handshakes that yield none)
    }
    ds.call("GET", "/ds/queue?after=" + state.queueSeq + "&limit=1&wait=" + Math.max(0, Math.min(30_000, millis)), null);
    return sync();
  }

  /**
   * Live delivery over the DS's WebSocket session: the DS pushes this device's messages as they are
   * stored (after its cursor), {@code onWake} runs on each, and {@link #sync()} then processes what
   * was pushed without asking the DS again (it still reads over HTTP every 30 s, and whenever the
   * session is gone). While the session is open, {@link #send} and {@link #sendAll} post over it
   * too. A session that breaks is opened again by itself, with backoff, on the next node when the
   * client was given several ({@code http://a,http://b}), from this device's place. Close the
   * returned handle to stop; if the DS refuses the first socket, this throws and HTTP stays in use.
   */
  public AutoCloseable wakeups(Runnable onWake) throws Exception {
    return link.open(() -> state.queueSeq, onWake);
  }

  /** How this client's messages travelled: posted over the session, and messages read from pushes. */
  public record Traffic(long postedOverSession, long readFromPushes) {}

  public Traffic traffic() {
    return new Traffic(link.postedOverSession.get(), link.readFromPushes.get());
  }

  /** How this device reads its queue: pushes and pages, in order (see {@link Receiving}). */
  private final Receiving receiving = new Receiving(this);

  /** Most messages held per group while waiting for the commit they depend on. */
  static final int EARLY_LIMIT = Receiving.EARLY_LIMIT;

  void drain() throws Exception {
    receiving.drain();
  }

  /** Processes one message as {@link #sync()} does, and persists the result (for other transports and tests). */
  void receive(String kind, MlsMessage msg, Bytes gid, List<Received> out) throws Exception {
    receiving.process(kind, msg, gid, out);
    persist();
  }

  /**
   * Rejoins a group after losing its state (RFC 9750 §5.8): fetches the GroupInfo from the DS and
   * commits externally, removing this device's old leaf.
   */
  public long recover(Bytes gid) throws Exception {
    for (int attempt = 0; attempt < RETRIES; attempt++) {
      DsClient.Response r = ds.call("GET", "/ds/groups/" + gid.hex() + "/group-info", null);
      if (r.status() != 200) {
        throw new ClientException("the group does not allow rejoining (" + r.status() + ")");
      }
      MlsMessage published = MlsMessage.fromBytes(r.raw());
      GroupInfo gi = (GroupInfo) published.body();
      // The tree: in the GroupInfo, or from the DS that keeps it (validated by externalJoin either way).
      boolean inline = org.jmls.message.Extension.find(gi.extensions(), org.jmls.message.Extension.RATCHET_TREE) != null;
      List<org.jmls.message.Node> nodes = inline ? null : treeFromDs(gid, gi.groupContext().epoch());
      int old = -1;
      for (Map.Entry<Integer, LeafNode> leaf : (inline ? treeOf(published) : leaves(nodes)).entrySet()) {
        if (X509Credentials.client(leaf.getValue().credential()).equals(clientId())) {
          old = leaf.getKey();
        }
      }
      KeyPackageBundle template = state.keyPackages.values().iterator().next();
      GroupConfig config = GroupPolicy.configFor(gi.groupContext());
      Group.ExternalJoin j = Group.externalJoin(services, config, gi, nodes, template.keyPackage().leafNode(),
          state.signature.privateKey(), old);
      DsClient.Response c = ds.send("POST", "/ds/groups/commit", new CommitBundle(j.commit(),
          j.group().groupInfo(config.encryptHandshakes()), null, List.of(), List.of()).toByteArray(), CommitBundle.MEDIA_TYPE);
      if (c.status() == 200) {
        state.groups.put(gid, j.group());
        state.forgotten.remove(gid);
        persist();
        wire.sent("external commit (rejoin)", j.commit().toByteArray().length, j.group().epoch());
        return j.group().epoch();
      }
      if (c.status() != 409) {
        check(c, 200, "rejoin");
      }
    }
    throw new ClientException("rejoin lost " + RETRIES + " commit races in a row");
  }

  /**
   * Keeps this client's whole state in {@code store} from now on: identity (signature key,
   * credential), KeyPackage secrets, every group's state, queue position. Written after every
   * operation, before a message is posted or a queue position acknowledged, in one transaction.
   */
  public void persistTo(ClientStore s) throws Exception {
    state.persistTo(s);
  }

  void persist() throws Exception {
    state.persist();
  }

  /** The device ({@code user/device}) whose identity {@code s} holds, or null for an empty store; reads only the store. */
  public static String storedClientId(ClientStore s) throws Exception {
    if (s.get("identity") == null) {
      return null;
    }
    ClientState st = ClientState.readIdentity(s);
    return st.user + "/" + st.device;
  }

  /** Restarts a client from its store (the same device, same state); talks to the servers at {@code baseUrl}. */
  public static MlsClient restore(String baseUrl, ClientStore s) throws Exception {
    MlsClient c = new MlsClient(baseUrl, ClientState.readIdentity(s));
    c.connect();
    c.state.readRest(s, c.services);
    return c;
  }

  /** Forgets every group's local state (what a lost device or reinstall looks like). */
  public void loseState() throws Exception {
    state.forgotten.addAll(state.groups.keySet());
    state.groups.clear();
    persist();
  }

  /**
   * Generations of a sender's application ratchet that were skipped between two messages received
   * from it in one epoch: those messages were lost, or arrive later (RFC 9420 §9.4).
   */
  public record Gap(Bytes groupId, String fromDevice, long epoch, int firstMissing, int lastMissing) {
    public int count() {
      return lastMissing - firstMissing + 1;
    }
  }

  final GenerationGaps gaps = new GenerationGaps();

  /** Gaps in senders' generations seen by the last {@link #sync()}. */
  public List<Gap> lastSyncGaps() {
    return gaps.seen();
  }

  final List<GroupChange> changes = new ArrayList<>();

  /** Groups joined, left and renamed during the last {@link #sync()}, in the order seen. */
  public List<GroupChange> lastSyncChanges() {
    return List.copyOf(changes);
  }

  /** The policy a group's members agreed, or null for a group without one. */
  public GroupPolicy policy(Bytes gid) throws ValidationException {
    return GroupPolicy.of(group(gid).context());
  }

  /** Messages the last {@link #sync()} could not process (skipped, with the reason). */
  public List<String> lastSyncProblems() {
    return List.copyOf(problems);
  }

  public Bytes epochAuthenticator(Bytes gid) {
    return group(gid).epochAuthenticator();
  }

  public long epoch(Bytes gid) {
    return group(gid).epoch();
  }

  public boolean inGroup(Bytes gid) {
    return state.groups.containsKey(gid);
  }

  /** Members as "user (device)" lines, with verified identities from their credentials. */
  public List<String> members(Bytes gid) throws MlsException {
    List<String> out = new ArrayList<>();
    for (LeafNode l : group(gid).members().values()) {
      out.add(X509Credentials.client(l.credential()));
    }
    return out;
  }

  /** A failure of a client operation, as one clear sentence. */
  public static final class ClientException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ClientException(String message) {
      super(message);
    }
  }
}
