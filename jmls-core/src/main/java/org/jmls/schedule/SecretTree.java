package org.jmls.schedule;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import org.jmls.ValidationException;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.tree.TreeMath;

/**
 * The secret tree and per-sender hash ratchets of RFC 9420 §9.
 *
 * <p>Node secrets are derived lazily from the encryption secret, only along the paths to the leaves
 * actually used, so a tree of 100,000 leaves costs nothing until members speak. Each derivation
 * deletes the parent's secret once both children exist, each leaf secret is deleted once its two
 * ratchets are initialised, each ratchet secret is overwritten when the ratchet advances, and every
 * key handed out is the caller's to destroy after use (§9.2). Not thread-safe: one per epoch state.
 */
public final class SecretTree {
  /** Which of a leaf's two ratchets. */
  public enum RatchetType {
    HANDSHAKE("handshake"),
    APPLICATION("application");

    final String label;

    RatchetType(String label) {
      this.label = label;
    }
  }

  private final MlsCrypto crypto;
  private final int nLeaves;
  private final OutOfOrderPolicy policy;
  private final Map<Integer, byte[]> nodeSecrets = new HashMap<>();
  private final Map<Integer, Ratchet[]> leaves = new HashMap<>();

  public SecretTree(MlsCrypto crypto, Secret encryptionSecret, int nLeaves, OutOfOrderPolicy policy) {
    if (nLeaves <= 0) {
      throw new IllegalArgumentException("a tree has at least one leaf");
    }
    this.crypto = crypto;
    this.nLeaves = nLeaves;
    this.policy = policy;
    nodeSecrets.put(TreeMath.root(nLeaves), encryptionSecret.toByteArray());
  }

  private byte[] leafSecret(int leaf) {
    int target = TreeMath.leafToNode(leaf);
    int node = TreeMath.root(nLeaves);
    // Walk down from the lowest ancestor whose secret is still held.
    int[] path = new int[33];
    int depth = 0;
    for (int x = target; ; x = TreeMath.parent(x, nLeaves)) {
      path[depth++] = x;
      if (nodeSecrets.containsKey(x) || x == node) {
        break;
      }
    }
    for (int i = depth - 1; i > 0; i--) {
      int x = path[i];
      byte[] s = nodeSecrets.remove(x);
      if (s == null) {
        return null;
      }
      int h = crypto.hashLength();
      nodeSecrets.put(TreeMath.left(x), crypto.expandWithLabel(s, "tree", bytes("left"), h));
      nodeSecrets.put(TreeMath.right(x), crypto.expandWithLabel(s, "tree", bytes("right"), h));
      Arrays.fill(s, (byte) 0);
    }
    return nodeSecrets.remove(target);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  private Ratchet ratchet(int leaf, RatchetType type) throws ValidationException {
    if (leaf < 0 || leaf >= nLeaves) {
      throw new ValidationException("secret-tree.leaf-out-of-range", "leaf " + leaf + " is outside a tree of " + nLeaves);
    }
    Ratchet[] r = leaves.get(leaf);
    if (r == null) {
      byte[] s = leafSecret(leaf);
      if (s == null) {
        throw new IllegalStateException("leaf secret " + leaf + " was already consumed");
      }
      int h = crypto.hashLength();
      r = new Ratchet[] {
        new Ratchet(crypto.expandWithLabel(s, RatchetType.HANDSHAKE.label, new byte[0], h)),
        new Ratchet(crypto.expandWithLabel(s, RatchetType.APPLICATION.label, new byte[0], h))
      };
      Arrays.fill(s, (byte) 0);
      leaves.put(leaf, r);
    }
    return r[type.ordinal()];
  }

  /** The key for the next generation of {@code leaf}'s ratchet, for sending; the ratchet advances. */
  public RatchetKey next(int leaf, RatchetType type) throws ValidationException {
    Ratchet r = ratchet(leaf, type);
    return r.advance();
  }

  /** Work done with a received key; the key is consumed only if this returns normally. */
  @FunctionalInterface
  public interface KeyUse<T> {
    T apply(RatchetKey key) throws ValidationException, org.jmls.crypto.CryptoException;
  }

  /**
   * The key for {@code generation} of {@code leaf}'s ratchet, for receiving. Fails if the
   * generation was already used or has aged out of the tolerance window, or lies further ahead
   * than the policy allows. The returned key is deleted from the tree.
   */
  public RatchetKey get(int leaf, RatchetType type, int generation) throws ValidationException {
    try {
      return use(leaf, type, generation, k -> k);
    } catch (org.jmls.crypto.CryptoException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Runs {@code use} with the key for {@code generation} and commits the ratchet's advance only if
   * it succeeds: a message that fails to decrypt or verify leaves the ratchet as it was. The key is
   * destroyed afterwards unless {@code use} returned it.
   */
  public <T> T use(int leaf, RatchetType type, int generation, KeyUse<T> use)
      throws ValidationException, org.jmls.crypto.CryptoException {
    Ratchet r = ratchet(leaf, type);
    long g = Integer.toUnsignedLong(generation);
    if (g < r.generation) {
      RatchetKey k = r.skipped.get((int) g);
      if (k == null) {
        throw new ValidationException(
            "rfc9420-9.4.generation-consumed",
            "generation " + g + " of leaf " + leaf + " was already used or is too old");
      }
      T out = use.apply(k);
      r.skipped.remove((int) g);
      if (out != k) {
        k.destroy();
      }
      return out;
    }
    if (g - r.generation > policy.maximumForwardDistance()) {
      throw new ValidationException(
          "rfc9420-9.4.generation-too-far",
          "generation " + g + " is more than " + policy.maximumForwardDistance() + " ahead of " + r.generation);
    }
    Ratchet scratch = r.forkSecret();
    java.util.List<RatchetKey> skippedNow = new java.util.ArrayList<>();
    while (scratch.generation < g) {
      skippedNow.add(scratch.advance());
    }
    RatchetKey k = scratch.advance();
    T out;
    try {
      out = use.apply(k);
    } catch (ValidationException | org.jmls.crypto.CryptoException | RuntimeException e) {
      k.destroy();
      skippedNow.forEach(RatchetKey::destroy);
      scratch.wipeSecret();
      throw e;
    }
    r.adopt(scratch);
    for (RatchetKey s : skippedNow) {
      if (policy.outOfOrderTolerance() > 0) {
        r.skipped.put(s.generation(), s);
      } else {
        s.destroy();
      }
    }
    r.evictOlderThan(k.generation() - policy.outOfOrderTolerance());
    if (out != k) {
      k.destroy();
    }
    return out;
  }

  /** The current next generation of a ratchet (for tests and diagnostics). */
  public int generation(int leaf, RatchetType type) throws ValidationException {
    return (int) ratchet(leaf, type).generation;
  }

  /** Number of node secrets currently held (diagnostics: shows lazy derivation and deletion). */
  public int heldNodeSecrets() {
    return nodeSecrets.size();
  }

  /** Writes the tree's remaining secrets and ratchet positions (for group state persistence). */
  public void writeTo(org.jmls.codec.TlsWriter w) {
    w.u32(nLeaves);
    int start = w.beginVector();
    for (Map.Entry<Integer, byte[]> e : new TreeMap<>(nodeSecrets).entrySet()) {
      w.u32(e.getKey()).opaque(e.getValue());
    }
    w.endVector(start);
    start = w.beginVector();
    for (Map.Entry<Integer, Ratchet[]> e : new TreeMap<>(leaves).entrySet()) {
      w.u32(e.getKey());
      for (Ratchet r : e.getValue()) {
        w.opaque(r.secret).u64(r.generation);
        int ks = w.beginVector();
        for (RatchetKey k : r.skipped.values()) {
          w.u32(k.generation()).opaque(k.key().unsafeArray()).opaque(k.nonce().unsafeArray());
        }
        w.endVector(ks);
      }
    }
    w.endVector(start);
  }

  /** Reads a tree written by {@link #writeTo}. */
  public static SecretTree readFrom(MlsCrypto crypto, OutOfOrderPolicy policy, org.jmls.codec.TlsReader r)
      throws org.jmls.codec.DecodeException {
    int n = r.u32();
    if (n <= 0 || n > (1 << 30)) {
      throw r.error("secret tree leaf count out of range");
    }
    SecretTree t = new SecretTree(crypto, n, policy);
    r.vector(x -> {
      t.nodeSecrets.put(x.u32(), x.opaque().toByteArray());
      return Boolean.TRUE;
    });
    r.vector(x -> {
      int leaf = x.u32();
      Ratchet[] rs = new Ratchet[2];
      for (int i = 0; i < 2; i++) {
        Ratchet rt = t.new Ratchet(x.opaque().toByteArray());
        rt.generation = x.u64();
        x.vector(y -> {
          int g = y.u32();
          rt.skipped.put(g, new RatchetKey(g, Secret.wrap(y.opaque().toByteArray()), Secret.wrap(y.opaque().toByteArray())));
          return Boolean.TRUE;
        });
        rs[i] = rt;
      }
      t.leaves.put(leaf, rs);
      return Boolean.TRUE;
    });
    return t;
  }

  private SecretTree(MlsCrypto crypto, int nLeaves, OutOfOrderPolicy policy) {
    this.crypto = crypto;
    this.nLeaves = nLeaves;
    this.policy = policy;
  }

  /** Deletes every secret the tree still holds. */
  public void destroy() {
    for (byte[] s : nodeSecrets.values()) {
      Arrays.fill(s, (byte) 0);
    }
    nodeSecrets.clear();
    for (Ratchet[] rs : leaves.values()) {
      for (Ratchet r : rs) {
        r.destroy();
      }
    }
    leaves.clear();
  }

  private final class Ratchet {
    byte[] secret;
    long generation;
    final TreeMap<Integer, RatchetKey> skipped = new TreeMap<>();

    Ratchet(byte[] secret) {
      this.secret = secret;
    }

    RatchetKey advance() throws ValidationException {
      if (generation > 0xffffffffL) {
        throw new ValidationException("rfc9420-9.1.generation-exhausted", "ratchet exhausted");
      }
      int gen = (int) generation;
      RatchetKey k = new RatchetKey(
          gen,
          Secret.wrap(crypto.deriveTreeSecret(secret, "key", gen, crypto.cipherSuite().aead().keyLength())),
          Secret.wrap(crypto.deriveTreeSecret(secret, "nonce", gen, crypto.cipherSuite().aead().nonceLength())));
      byte[] nextSecret = crypto.deriveTreeSecret(secret, "secret", gen, crypto.hashLength());
      Arrays.fill(secret, (byte) 0);
      secret = nextSecret;
      generation++;
      return k;
    }

    /** A ratchet at the same point with its own copy of the secret and no skipped keys. */
    Ratchet forkSecret() {
      Ratchet f = new Ratchet(secret.clone());
      f.generation = generation;
      return f;
    }

    /** Takes over {@code f}'s secret and generation, wiping the current secret. */
    void adopt(Ratchet f) {
      Arrays.fill(secret, (byte) 0);
      secret = f.secret;
      generation = f.generation;
    }

    void wipeSecret() {
      Arrays.fill(secret, (byte) 0);
    }

    void evictOlderThan(long minGeneration) {
      for (Iterator<Map.Entry<Integer, RatchetKey>> it = skipped.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<Integer, RatchetKey> e = it.next();
        if (Integer.toUnsignedLong(e.getKey()) >= minGeneration) {
          break;
        }
        e.getValue().destroy();
        it.remove();
      }
    }

    void destroy() {
      Arrays.fill(secret, (byte) 0);
      for (RatchetKey k : skipped.values()) {
        k.destroy();
      }
      skipped.clear();
    }
  }

  /**
   * Key and nonce for sender-data encryption (§6.3.2): ExpandWithLabel(sender_data_secret, "key" /
   * "nonce", ciphertext_sample, Nk / Nn), the sample being the first Nh bytes of the content
   * ciphertext (all of it when shorter).
   */
  public static RatchetKey senderDataKey(MlsCrypto c, Secret senderDataSecret, byte[] ciphertext) {
    byte[] sample = Arrays.copyOf(ciphertext, Math.min(ciphertext.length, c.hashLength()));
    return new RatchetKey(
        0,
        Secret.wrap(c.expandWithLabel(senderDataSecret.unsafeArray(), "key", sample, c.cipherSuite().aead().keyLength())),
        Secret.wrap(c.expandWithLabel(senderDataSecret.unsafeArray(), "nonce", sample, c.cipherSuite().aead().nonceLength())));
  }
}
