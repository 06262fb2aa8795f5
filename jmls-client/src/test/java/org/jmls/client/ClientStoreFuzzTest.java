package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.codec.DecodeException;
import org.jmls.crypto.CipherSuite;
import org.jmls.group.Group;
import org.jmls.group.GroupConfig;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.KeyPackages;
import org.jmls.message.Credential;
import org.jmls.message.Lifetime;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;
import org.junit.jupiter.api.Test;

/**
 * The client store reader: what {@link MlsClient#restore} reads back from a device's store. The
 * store's encryption keeps strangers out; this is about a store whose entries decrypt but are
 * damaged (a bug of an earlier version, a half-restored backup, disk faults under the encryption's
 * radar are impossible, but a key holder's hand-edit is not). Each input is a list of entries
 * (name and decrypted value) handed to the reader; reading them must give a client or a typed
 * error ({@link DecodeException}, {@link MlsException}, {@link MlsClient.ClientException}), never
 * anything else.
 *
 * <p>Input layout, read leniently so that every input means something: records of uint8 selector
 * (entry kind: identity, kp/, group/, trees/, pending/, early/, inbox/, inbox), uint8 length and
 * that many bytes of name suffix (ISO-8859-1), uint24 length and that many bytes of value (both
 * cut short where the input ends).
 */
class ClientStoreFuzzTest {
  private static final String[] KINDS = {"identity", "kp/", "group/", "trees/", "pending/", "early/", "inbox/", "inbox"};
  private static final GroupServices S = GroupServices.development();
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

  @FuzzTest(maxDuration = "90m", maxExecutions = 10_000_000)
  void readStore(byte[] input) throws Exception {
    ClientState.Entries entries = inMemory(entries(input));
    try {
      ClientState st = ClientState.readIdentity(entries);
      st.readRest(entries, S);
    } catch (MlsException | MlsClient.ClientException refused) {
      // a damaged store, said as such
    }
  }

  /** The entries as the reader sees them from a store, without the store's SQLite and AES-GCM (not what is fuzzed). */
  private static ClientState.Entries inMemory(Map<String, byte[]> entries) {
    java.util.TreeMap<String, byte[]> sorted = new java.util.TreeMap<>(entries);
    return new ClientState.Entries() {
      @Override
      public byte[] get(String name) {
        return sorted.get(name);
      }

      @Override
      public List<String> names(String prefix) {
        return sorted.keySet().stream().filter(n -> n.startsWith(prefix)).toList();
      }
    };
  }

  /** A real device's store (two KeyPackages, a group of two, a pending commit, held messages, an inbox) reads back whole. */
  @Test
  void realStore_readsBack() throws Exception {
    Map<String, byte[]> entries = entries(encode(realStore()));
    try (ClientStore store = ClientStore.openWithKey(Path.of(":memory:"), new byte[32])) {
      store.putAll(entries);
      ClientState st = ClientState.readIdentity(store);
      st.readRest(store, S);
      assertEquals("alice", st.user);
      assertEquals(2, st.keyPackages.size());
      assertEquals(1, st.groups.size());
      assertEquals(2, st.groups.values().iterator().next().members().size());
      assertEquals(1, st.pendingCommits.size());
      assertEquals(2, st.early.values().iterator().next().size());
      assertEquals(List.of("hello", "again"), st.inbox.stream().map(MlsClient.Received::text).toList());
    }
  }

  static Map<String, byte[]> entries(byte[] in) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    int i = 0;
    while (i < in.length) {
      String kind = KINDS[(in[i++] & 0xFF) % KINDS.length];
      int suffixLength = i < in.length ? in[i++] & 0xFF : 0;
      int end = Math.min(in.length, i + suffixLength);
      String name = kind + (kind.endsWith("/") ? new String(in, i, end - i, StandardCharsets.ISO_8859_1) : "");
      i = end;
      int valueLength = 0;
      for (int k = 0; k < 3 && i < in.length; k++) {
        valueLength = valueLength << 8 | in[i++] & 0xFF;
      }
      end = Math.min(in.length, i + valueLength);
      out.put(name, java.util.Arrays.copyOfRange(in, i, end));
      i = end;
    }
    return out;
  }

  static byte[] encode(Map<String, byte[]> entries) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    entries.forEach((name, value) -> {
      int kind = -1;
      for (int k = 0; k < KINDS.length; k++) {
        if (name.equals(KINDS[k]) || KINDS[k].endsWith("/") && name.startsWith(KINDS[k])) {
          kind = k;
          break;
        }
      }
      if (kind < 0) {
        return; // the store's own check entry
      }
      byte[] suffix = name.substring(KINDS[kind].endsWith("/") ? KINDS[kind].length() : name.length()).getBytes(StandardCharsets.ISO_8859_1);
      b.write(kind);
      b.write(suffix.length);
      b.writeBytes(suffix);
      b.write(value.length >>> 16);
      b.write(value.length >>> 8);
      b.write(value.length);
      b.writeBytes(value);
    });
    return b.toByteArray();
  }

  private static KeyPackageBundle member(String name) throws Exception {
    long now = S.clock().instant().getEpochSecond();
    return KeyPackages.create(S.provider().suite(SUITE), new Credential.Basic(Bytes.wrap(name.getBytes())),
        S.provider().suite(SUITE).generateSignatureKeyPair(), KeyPackages.defaultCapabilities(SUITE),
        new Lifetime(now - 3600, now + 30L * 86400), List.of(), List.of());
  }

  /** The entries a real device writes: alice in a group with bob, one commit in flight, two messages held, two received. */
  static Map<String, byte[]> realStore() throws Exception {
    KeyPackageBundle a = member("alice");
    KeyPackageBundle b = member("bob");
    ClientState st = new ClientState("alice", "phone", SUITE);
    st.signature = new org.jmls.crypto.KeyPair(a.signatureKey(), a.keyPackage().leafNode().signatureKey());
    st.credential = a.keyPackage().leafNode().credential();
    st.queueSeq = 42;
    for (int i = 0; i < 2; i++) {
      KeyPackageBundle kp = member("alice");
      st.keyPackages.put(Bytes.wrap(new byte[] {(byte) i, 1, 2, 3}), kp);
    }
    Group g = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {7, 7, 7}), a, List.of());
    g.commit(List.of(new Proposal.Add(b.keyPackage())), true);
    g.mergePendingCommit();
    Group.Snapshot before = g.snapshot();
    long epoch = g.epoch();
    Group.CommitResult pending = g.commit(List.of(), true);
    g.mergePendingCommit();
    st.pendingCommits.put(g.groupId(), new ClientState.PendingCommit(epoch, pending.commit().toByteArray(), g.snapshot()));
    g = Group.restore(S, before);
    st.groups.put(g.groupId(), g);
    st.early.put(g.groupId(), new java.util.ArrayList<>(List.of(new ClientState.Early("commit", pending.commit().toByteArray()),
        new ClientState.Early("application", g.encrypt("later".getBytes(), new byte[0]).toByteArray()))));
    st.inbox.add(new MlsClient.Received(g.groupId(), "bob", "laptop", "hello"));
    st.inbox.add(new MlsClient.Received(g.groupId(), "bob", "laptop", "again"));
    try (ClientStore store = ClientStore.openWithKey(Path.of(":memory:"), new byte[32])) {
      st.persistTo(store);
      Map<String, byte[]> out = new LinkedHashMap<>();
      for (String name : store.names("")) {
        out.put(name, store.get(name));
      }
      out.remove("__check");
      return out;
    }
  }

  /** Writes the real store as the target's seed: {@code java ... ClientStoreFuzzTest DIR}. */
  public static void main(String[] args) throws Exception {
    Files.write(Path.of(args[0], "real-store"), encode(realStore()));
  }
}
