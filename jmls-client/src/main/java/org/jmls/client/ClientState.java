package org.jmls.client;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.Secret;
import org.jmls.group.Group;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.message.Credential;
import org.jmls.message.KeyPackage;

/**
 * Everything a device keeps between runs, and how it is written to its {@link ClientStore}:
 * identity (signature key, credential, queue position), KeyPackage secrets, every group's state,
 * commits whose DS answer is not known yet, and messages held for epochs not reached. Entries
 * ({@code identity}, {@code kp/REF}, {@code group/ID}, {@code pending/ID}, {@code early/ID}) are
 * written in one transaction; a group is rewritten only when it changed since it was written.
 */
final class ClientState {
  /** A commit posted but not known to have won: the epoch it was made in, its bytes, the state if it won. */
  record PendingCommit(long epoch, byte[] commit, Group.Snapshot state) {}

  /** An undecodable-yet message: it belongs to an epoch this device has not reached. */
  record Early(String kind, byte[] message) {}

  /** The group object and its {@link Group#changes()} count as last written to the store. */
  /**
   * What the store holds of a group: the object and its change count when last written, and the
   * epoch whose trees were written (the trees are stored apart and change only with the epoch, so
   * a page of messages rewrites the small part only).
   */
  private record Stored(Group group, long changes, long treesEpoch) {
    boolean is(Group g) {
      return group == g && changes == g.changes();
    }

    boolean treesOf(Group g) {
      return group == g && treesEpoch == g.epoch();
    }
  }

  final String user;
  final String device;
  final CipherSuite suite;
  KeyPair signature;
  Credential credential;
  long queueSeq;
  final Map<Bytes, KeyPackageBundle> keyPackages = new LinkedHashMap<>();
  final Map<Bytes, Group> groups = new LinkedHashMap<>();
  /** Commits posted whose answer is not known (settled from the DS log on the next sync). */
  final Map<Bytes, PendingCommit> pendingCommits = new LinkedHashMap<>();
  /** Per group with a commit being posted: the state before it, which is what the store holds meanwhile. */
  final Map<Bytes, Group.Snapshot> inFlight = new HashMap<>();
  /** Per group, messages for epochs ahead of this device's, in arrival order. */
  final Map<Bytes, List<Early>> early = new HashMap<>();
  /** Texts received and processed but not yet handed to the application by {@link MlsClient#sync()}. */
  final List<MlsClient.Received> inbox = new ArrayList<>();
  /**
   * How many of {@link #inbox} the store holds, in entries {@code inbox/NNNNNNNNNN} appended one
   * per write (catching up on 40,000 messages writes each text once, not the whole inbox each page).
   */
  private int inboxStored;
  private int inboxChunks;
  private boolean inboxTaken;
  /** Groups left or lost since the last write, whose entries are deleted by it. */
  final Set<Bytes> forgotten = new HashSet<>();
  private final Map<Bytes, Stored> persisted = new HashMap<>();
  private ClientStore store;

  ClientState(String user, String device, CipherSuite suite) {
    this.user = user;
    this.device = device;
    this.suite = suite;
  }

  /** Writes everything to {@code s} now and after every change from now on. */
  void persistTo(ClientStore s) throws Exception {
    store = s;
    persisted.clear();
    persist();
  }

  /** Writes what changed, in one transaction (nothing before an identity exists or without a store). */
  void persist() throws Exception {
    if (store == null || signature == null) {
      return;
    }
    Map<String, byte[]> w = new LinkedHashMap<>();
    TlsWriter id = new TlsWriter();
    id.opaque(user.getBytes(StandardCharsets.UTF_8)).opaque(device.getBytes(StandardCharsets.UTF_8))
        .u16(suite.id()).opaque(signature.privateKey().unsafeArray()).opaque(signature.publicKey()).u64(queueSeq);
    credential.encode(id);
    w.put("identity", id.toByteArray());
    for (Map.Entry<Bytes, KeyPackageBundle> e : keyPackages.entrySet()) {
      TlsWriter kp = new TlsWriter();
      e.getValue().keyPackage().encode(kp);
      kp.opaque(e.getValue().initKey().unsafeArray()).opaque(e.getValue().encryptionKey().unsafeArray());
      w.put("kp/" + e.getKey().hex(), kp.toByteArray());
    }
    // Only groups that changed since they were last written: a send in one group does not rewrite the others.
    Map<Bytes, Stored> written = new LinkedHashMap<>();
    for (Map.Entry<Bytes, Group> e : groups.entrySet()) {
      Group.Snapshot before = inFlight.get(e.getKey());
      Group g = e.getValue();
      if (before != null) {
        w.put("group/" + e.getKey().hex(), before.save());
        written.put(e.getKey(), null); // what is stored is not this object's state
        continue;
      }
      Stored last = persisted.get(e.getKey());
      if (last != null && last.is(g)) {
        continue;
      }
      w.put("group/" + e.getKey().hex(), g.saveWithoutTrees());
      if (last == null || !last.treesOf(g)) {
        w.put("trees/" + e.getKey().hex(), g.saveTrees());
      }
      written.put(e.getKey(), new Stored(g, g.changes(), g.epoch()));
    }
    for (Bytes gid : forgotten) {
      written.put(gid, null);
      w.put("group/" + gid.hex(), null);
      w.put("trees/" + gid.hex(), null);
      early.remove(gid);
    }
    for (String name : store.names("early/")) {
      w.put(name, null);
    }
    for (String name : store.names("pending/")) {
      w.put(name, null);
    }
    for (Map.Entry<Bytes, PendingCommit> e : pendingCommits.entrySet()) {
      w.put("pending/" + e.getKey().hex(), new TlsWriter().u64(e.getValue().epoch()).opaque(e.getValue().commit())
          .opaque(e.getValue().state().save()).toByteArray());
    }
    for (Map.Entry<Bytes, List<Early>> e : early.entrySet()) {
      TlsWriter held = new TlsWriter();
      int start = held.beginVector();
      for (Early x : e.getValue()) {
        held.opaque(x.kind().getBytes(StandardCharsets.UTF_8)).opaque(x.message());
      }
      held.endVector(start);
      w.put("early/" + e.getKey().hex(), held.toByteArray());
    }
    if (inboxTaken) { // handed to the application: the stored copies go
      for (String name : store.names("inbox")) {
        w.put(name, null);
      }
      inboxStored = 0;
      inboxChunks = 0;
    }
    int inboxNow = inbox.size();
    if (inboxNow > inboxStored) {
      TlsWriter received = new TlsWriter();
      int start = received.beginVector();
      for (MlsClient.Received r : inbox.subList(inboxStored, inboxNow)) {
        received.opaque(r.groupId().unsafeArray()).opaque(utf8(r.fromUser())).opaque(utf8(r.fromDevice())).opaque(utf8(r.text()));
      }
      received.endVector(start);
      w.put(String.format("inbox/%010d", inboxChunks), received.toByteArray());
    }
    store.putAll(w);
    inboxTaken = false;
    if (inboxNow > inboxStored) {
      inboxStored = inboxNow;
      inboxChunks++;
    }
    forgotten.clear();
    written.forEach((gid, v) -> {
      if (v == null) {
        persisted.remove(gid);
      } else {
        persisted.put(gid, v);
      }
    });
  }

  /** The received texts, now handed to the application: the store forgets them on the next write. */
  List<MlsClient.Received> takeInbox() {
    List<MlsClient.Received> out = new ArrayList<>(inbox);
    inbox.clear();
    inboxTaken = true;
    return out;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String utf8(TlsReader r) throws org.jmls.codec.DecodeException {
    return new String(r.opaque().toByteArray(), StandardCharsets.UTF_8);
  }

  /**
   * The named entries of a store as the reader sees them (decrypted values): {@link ClientStore}, or
   * any other source of the same entries.
   */
  interface Entries {
    /** The value of {@code name}, or null. */
    byte[] get(String name) throws Exception;

    /** The names starting with {@code prefix}, in name order. */
    List<String> names(String prefix) throws Exception;

    static Entries of(ClientStore s) {
      return new Entries() {
        @Override
        public byte[] get(String name) throws Exception {
          return s.get(name);
        }

        @Override
        public List<String> names(String prefix) throws Exception {
          return s.names(prefix);
        }
      };
    }
  }

  /** The identity in {@code s} (groups and the rest follow with {@link #readRest} once services exist). */
  static ClientState readIdentity(ClientStore s) throws Exception {
    return readIdentity(Entries.of(s));
  }

  static ClientState readIdentity(Entries s) throws Exception {
    byte[] id = s.get("identity");
    if (id == null) {
      throw new MlsClient.ClientException("the store holds no client; enrol first");
    }
    TlsReader r = new TlsReader(id);
    String user = utf8(r);
    String device = utf8(r);
    int suiteId = r.u16();
    CipherSuite suite = CipherSuite.of(suiteId);
    if (suite == null) {
      throw new DecodeException(0, String.format("store entry 'identity' names cipher suite 0x%04X, which this process does not run"
          + " (another stack's value needs its alias: JMLS_SUITE_ALIASES=openmls or ts-mls)", suiteId));
    }
    ClientState st = new ClientState(user, device, suite);
    st.signature = new KeyPair(Secret.wrap(r.opaque().toByteArray()), r.opaque());
    st.queueSeq = r.u64();
    st.credential = Credential.decode(r);
    return st;
  }

  /** Reads KeyPackages, groups, pending commits and held messages from {@code s}, which is written from now on. */
  void readRest(ClientStore s, GroupServices services) throws Exception {
    readRest(Entries.of(s), services);
    store = s;
  }

  /** Reads KeyPackages, groups, pending commits, held messages and the inbox from {@code s}. */
  void readRest(Entries s, GroupServices services) throws Exception {
    for (String name : s.names("kp/")) {
      TlsReader k = new TlsReader(s.get(name));
      KeyPackage kp = KeyPackage.decode(k);
      keyPackages.put(idIn(name, "kp/"), new KeyPackageBundle(kp, Secret.wrap(k.opaque().toByteArray()),
          Secret.wrap(k.opaque().toByteArray()), signature.privateKey()));
    }
    for (String name : s.names("group/")) {
      // Stores before the trees were kept apart hold whole states, which ignore the trees entry.
      Bytes gid = idIn(name, "group/");
      byte[] state = s.get(name);
      Group g = Group.load(services, state, s.get("trees/" + gid.hex()));
      if (!g.groupId().equals(gid)) {
        throw new DecodeException(0, "store entry '" + name + "' holds the state of group " + g.groupId().hex());
      }
      groups.put(g.groupId(), g);
      // Trees of this epoch are in the store only if the state was saved apart from them (load checked their epoch).
      persisted.put(g.groupId(), new Stored(g, g.changes(), Group.savedWithoutTrees(state) ? g.epoch() : -1));
    }
    for (String name : s.names("pending/")) {
      Bytes gid = idIn(name, "pending/");
      PendingCommit pc = TlsReader.decode(s.get(name), pr -> new PendingCommit(pr.u64(), pr.opaque().toByteArray(),
          Group.load(services, pr.opaque().toByteArray()).snapshot()));
      pendingCommits.put(gid, pc);
    }
    for (String name : s.names("early/")) {
      Bytes gid = idIn(name, "early/");
      List<Early> held = TlsReader.decode(s.get(name), er -> er.vector(x -> new Early(
          utf8(x), x.opaque().toByteArray())));
      early.put(gid, new ArrayList<>(held));
    }
    // "inbox" (one entry, stores before chunks) sorts before "inbox/...": read in the order written.
    for (String name : s.names("inbox")) {
      inbox.addAll(TlsReader.decode(s.get(name), rr -> rr.vector(x -> new MlsClient.Received(x.opaque(), utf8(x), utf8(x), utf8(x)))));
      inboxChunks++;
    }
    inboxStored = inbox.size();
  }

  /** The id (hex) in an entry's name after {@code prefix}; a name that holds none is a damaged store. */
  private static Bytes idIn(String name, String prefix) throws DecodeException {
    try {
      return Bytes.fromHex(name.substring(prefix.length()));
    } catch (IllegalArgumentException e) {
      throw new DecodeException(0, "store entry '" + name + "' does not name an id in hex");
    }
  }
}
