package org.jmls.group;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.message.Proposal;
import org.jmls.message.Sender;
import org.jmls.tree.RatchetTree;

/**
 * A member's state as bytes ({@link Group#save()} and friends). Versions: 1 the first; 2 past
 * epochs' trees as differences from the epoch written before; 3 a flag saying whether the trees are
 * inside or stored apart ({@link Group#saveTrees()}). Every older version still loads.
 *
 * <pre>
 * state: "JMLS-GROUP" u16 version u16 suite [u8 trees_apart, version 3] config signature_key u8 active
 *        optional&lt;ReInit&gt; current_epoch u32 past_count past_epoch* proposals&lt;V&gt; update_keys&lt;V&gt; sent_refs&lt;V&gt;
 * trees: "JMLS-TREES" u16 version(1) u16 suite u32 count (u64 epoch tree)*   -- the first whole, the others as differences
 * </pre>
 */
final class GroupStateCodec {
  private GroupStateCodec() {}

  private static final byte[] STATE_MAGIC = "JMLS-GROUP".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] TREES_MAGIC = "JMLS-TREES".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  static final int STATE_VERSION = 3;
  private static final int TREES_VERSION = 1;

  static byte[] save(Group g, boolean treesApart) {
    if (g.pendingCommit != null) {
      throw new IllegalStateException("merge or discard the pending commit before saving");
    }
    GroupConfig config = g.config;
    TlsWriter w = new TlsWriter(4096);
    w.raw(STATE_MAGIC).u16(STATE_VERSION).u16(g.crypto.cipherSuite().id()).u8(treesApart ? 1 : 0);
    // Bit 0: handshakes sent encrypted; bit 1: the other wire format refused (states before that bit read as 0: accept both).
    w.u8((config.encryptHandshakes() ? 1 : 0) | (config.requireHandshakeWireFormat() ? 2 : 0)).u32(config.paddingBlock())
        .u32(config.outOfOrder().maximumForwardDistance()).u32(config.outOfOrder().outOfOrderTolerance()).u32(config.pastEpochs())
        .u8(config.ratchetTreeInWelcome() ? 1 : 0).u8(config.checkLifetimesOnJoin() ? 1 : 0);
    w.opaque(g.signatureKey.unsafeArray()).u8(g.active ? 1 : 0);
    w.optional(g.reinit);
    g.state.writeTo(w, null, !treesApart);
    w.u32(g.past.size());
    RatchetTree previous = g.state.tree;
    for (EpochState p : g.past) {
      p.writeTo(w, previous, !treesApart); // past trees as differences from the epoch written before
      previous = p.tree;
    }
    int start = w.beginVector();
    for (Group.CachedProposal cp : g.proposals.values()) {
      cp.proposal().encode(w);
      cp.sender().encode(w);
      w.opaque(cp.ref());
    }
    w.endVector(start);
    start = w.beginVector();
    for (Map.Entry<Bytes, Secret> e : g.pendingUpdateKeys.entrySet()) {
      w.opaque(e.getKey()).opaque(e.getValue().unsafeArray());
    }
    w.endVector(start);
    start = w.beginVector();
    for (Map.Entry<Bytes, Bytes> e : g.sentProposalRefs.entrySet()) {
      w.opaque(e.getKey()).opaque(e.getValue());
    }
    w.endVector(start);
    return w.toByteArray();
  }

  /** Whether a state blob says its trees are stored apart (false for anything else, older versions included). */
  static boolean treesApart(byte[] blob) {
    int at = STATE_MAGIC.length;
    return blob.length > at + 4 && Arrays.equals(Arrays.copyOf(blob, at), STATE_MAGIC)
        && (((blob[at] & 0xff) << 8) | (blob[at + 1] & 0xff)) >= 3 && blob[at + 4] == 1;
  }

  static byte[] saveTrees(Group g) {
    if (g.pendingCommit != null) {
      throw new IllegalStateException("merge or discard the pending commit before saving");
    }
    TlsWriter w = new TlsWriter(4096);
    w.raw(TREES_MAGIC).u16(TREES_VERSION).u16(g.crypto.cipherSuite().id()).u32(1 + g.past.size());
    w.u64(g.state.epoch());
    EpochState.writeTree(w, g.state.tree, null);
    RatchetTree previous = g.state.tree;
    for (EpochState p : g.past) {
      w.u64(p.epoch());
      EpochState.writeTree(w, p.tree, previous);
      previous = p.tree;
    }
    return w.toByteArray();
  }

  /** The epochs and trees of a {@link #saveTrees} blob, current epoch first. */
  record Trees(long[] epochs, List<RatchetTree> trees) {
    /** The trees of {@code g}'s current and retained epochs, shared copy-on-write. */
    static Trees of(Group g) {
      long[] epochs = new long[1 + g.past.size()];
      List<RatchetTree> trees = new ArrayList<>(epochs.length);
      epochs[0] = g.state.epoch();
      trees.add(g.state.tree.copy());
      int i = 1;
      for (EpochState p : g.past) {
        epochs[i++] = p.epoch();
        trees.add(p.tree.copy());
      }
      return new Trees(epochs, trees);
    }

    /** Copies whose later changes do not reach these. */
    Trees copy() {
      List<RatchetTree> out = new ArrayList<>(trees.size());
      for (RatchetTree t : trees) {
        out.add(t.copy());
      }
      return new Trees(epochs.clone(), out);
    }
  }

  private static Trees readTrees(MlsCrypto c, byte[] blob) throws DecodeException {
    return TlsReader.decode(blob, r -> {
      if (!Arrays.equals(r.fixed(TREES_MAGIC.length), TREES_MAGIC)) {
        throw new DecodeException(0, "not a jmls ratchet-tree blob");
      }
      int version = r.u16();
      if (version != TREES_VERSION) {
        throw r.error("ratchet-tree blob version " + version + " is not supported");
      }
      if (r.u16() != c.cipherSuite().id()) {
        throw r.error("the stored ratchet trees are of another cipher suite than the group state");
      }
      int count = r.u32();
      if (count < 1 || count > 1025) {
        throw r.error("implausible number of stored ratchet trees");
      }
      long[] epochs = new long[count];
      List<RatchetTree> trees = new ArrayList<>(count);
      try {
        for (int i = 0; i < count; i++) {
          epochs[i] = r.u64();
          trees.add(EpochState.readTree(c, r, i == 0 ? null : trees.get(i - 1), i > 0));
        }
      } catch (ValidationException e) {
        throw r.error("stored ratchet tree is inconsistent: " + e.getMessage());
      }
      return new Trees(epochs, trees);
    }, Integer.MAX_VALUE);
  }

  static Group load(GroupServices services, byte[] blob, byte[] treesBlob) throws DecodeException {
    return load(services, blob, treesBlob, null);
  }

  /** As {@link #load(GroupServices, byte[], byte[])}; {@code given}: the trees as objects (a snapshot's), not bytes. */
  static Group load(GroupServices services, byte[] blob, byte[] treesBlob, Trees given) throws DecodeException {
    return TlsReader.decode(blob, r -> {
      byte[] magic = r.fixed(STATE_MAGIC.length);
      if (!Arrays.equals(magic, STATE_MAGIC)) {
        throw new DecodeException(0, "not a jmls group state");
      }
      int version = r.u16();
      if (version < 1 || version > STATE_VERSION) {
        throw r.error("group state version " + version + " is not supported (newest " + STATE_VERSION + ")");
      }
      CipherSuite suite = CipherSuite.of(r.u16());
      if (suite == null) {
        throw r.error("unknown cipher suite in group state");
      }
      MlsCrypto c = services.provider().suite(suite);
      boolean treesApart = version >= 3 && r.u8() == 1;
      Trees trees = null;
      if (treesApart) {
        if (given != null) {
          if (given.trees().get(0).crypto().cipherSuite() != c.cipherSuite()) {
            throw r.error("the given ratchet trees are of another cipher suite than the group state");
          }
          trees = given.copy();
        } else if (treesBlob == null) {
          throw r.error("this group state's ratchet trees are stored apart, and were not given");
        } else {
          trees = readTrees(c, treesBlob);
        }
      }
      GroupConfig config;
      try {
        int handshakes = r.u8();
        if (handshakes > 3) {
          throw r.error("invalid handshake settings in group state");
        }
        config = new GroupConfig((handshakes & 1) != 0, r.u32(),
            new org.jmls.schedule.OutOfOrderPolicy(r.u32(), r.u32()), r.u32(), r.u8() == 1, r.u8() == 1, (handshakes & 2) != 0);
      } catch (IllegalArgumentException e) {
        throw r.error("invalid group configuration: " + e.getMessage());
      }
      Secret sig = Secret.wrap(r.opaque().toByteArray());
      boolean active = r.u8() == 1;
      Proposal reinit = r.optional(Proposal::decode);
      try {
        EpochState current = EpochState.readFrom(c, config, r, null, false, tree(trees, 0, r));
        if (trees != null && trees.epochs()[0] != current.epoch()) {
          throw r.error("the stored ratchet trees are from epoch " + trees.epochs()[0] + ", the state from epoch " + current.epoch());
        }
        Group g = new Group(services, config, c, sig, current);
        g.active = active;
        g.reinit = (Proposal.ReInit) reinit;
        int pastCount = r.u32();
        if (pastCount < 0 || pastCount > 1024 || (trees != null && pastCount != trees.epochs().length - 1)) {
          throw r.error("implausible number of past epochs");
        }
        for (int i = 0; i < pastCount; i++) {
          EpochState p = EpochState.readFrom(c, config, r, (g.past.isEmpty() ? current : g.past.peekLast()).tree, version >= 2,
              tree(trees, i + 1, r));
          if (trees != null && trees.epochs()[i + 1] != p.epoch()) {
            throw r.error("the stored ratchet trees do not match the retained epochs");
          }
          g.past.addLast(p);
        }
        r.vector(x -> {
          Proposal p = Proposal.decode(x);
          Sender s = Sender.decode(x);
          Bytes ref = x.opaque();
          g.proposals.put(ref, new Group.CachedProposal(p, s, ref));
          return Boolean.TRUE;
        });
        r.vector(x -> {
          g.pendingUpdateKeys.put(x.opaque(), Secret.wrap(x.opaque().toByteArray()));
          return Boolean.TRUE;
        });
        r.vector(x -> {
          g.sentProposalRefs.put(x.opaque(), x.opaque());
          return Boolean.TRUE;
        });
        return g;
      } catch (ValidationException | ClassCastException | IllegalArgumentException e) {
        throw r.error("inconsistent group state: " + e.getMessage());
      }
    }, Integer.MAX_VALUE); // a state grows with the group (about 780 bytes per member at 10^5); it is already in memory
  }

  private static RatchetTree tree(Trees trees, int i, TlsReader r) throws DecodeException {
    if (trees == null) {
      return null;
    }
    if (i >= trees.trees().size()) {
      throw r.error("the stored ratchet trees do not match the retained epochs");
    }
    return trees.trees().get(i);
  }
}
