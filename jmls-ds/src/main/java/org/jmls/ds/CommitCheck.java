package org.jmls.ds;

import static org.jmls.ds.GroupRows.*;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.group.PublicGroup;
import org.jmls.message.EncryptedGroupSecrets;
import org.jmls.message.GroupInfo;
import org.jmls.message.LeafNode;
import org.jmls.message.MlsMessage;
import org.jmls.message.PublicMessage;
import org.jmls.message.Welcome;

/**
 * The checks a commit passes before the DS orders it (RFC 9420 §12.4, RFC 9750 §5.3): the group
 * exists and is at the commit's epoch, the sender may commit (a member, or an external joiner
 * where allowed), in public-handshake groups the commit verifies against the DS's public view and
 * moves the roster as the tree does, in encrypted ones the declared roster change and the uploaded
 * tree changes match the signed tree hash, the group stays within its size, and the Welcome's
 * recipients can take one more. Runs in its own transaction, before the ordered write.
 */
final class CommitCheck {
  private final GroupDirectory d;

  CommitCheck(GroupDirectory d) {
    this.d = d;
  }

  /** What checking a commit established, for the write that follows. */
  record CheckedCommit(GroupRow row, Set<String> roster, Set<String> joiners, Set<String> leavers,
      Set<String> welcomeTo, PublicGroup next, List<org.jmls.message.Node> nextTree, TreeChanges changes) {}


  /** The checks of a commit against the stored group; returns a {@link CheckedCommit} or the refusal. */
  Object check(Connection c, String sender, MlsMessage commit, GroupInfo gi, Target t, boolean external,
      MlsMessage welcome, List<String> added, List<String> removed, TreeChanges changes) throws SQLException {
    GroupRow r = row(c, t.gid());
    if (r == null) {
      return new ValidationException("ds.unknown-group", "no such group");
    }
    Set<String> roster = d.membership.at(c, t.gid(), r.epoch());
    if (external) {
      if (!r.externalJoins()) {
        return new ValidationException("ds.external-joins-disabled", "this group does not allow external joins");
      }
    } else if (!roster.contains(sender)) {
      return new ValidationException("ds.not-a-member", "only members post to a group");
    }
    if (t.epoch() != r.epoch()) {
      return new StaleEpochException(t.epoch(), r.epoch());
    }
    Set<String> joiners = new LinkedHashSet<>();
    Set<String> leavers = new LinkedHashSet<>();
    PublicGroup next = null;
    List<org.jmls.message.Node> nextTree = null;
    if (r.publicHandshakes()) {
      if (!(commit.body() instanceof PublicMessage)) {
        return new ValidationException("ds.handshake-mode", "this group's handshakes are PublicMessages");
      }
      try {
        PublicGroup pg = d.publicState(t.gid(), r, c);
        org.jmls.tree.RatchetTree before = pg.tree(); // copy-on-write: O(1), and unchanged by handle()
        PublicGroup.CommitOutcome outcome = pg.handle(commit);
        pg.checkGroupInfo(gi);
        // The roster follows the tree: devices whose leaves left or arrived (a resync keeps the
        // device). Only the leaves the commit changed are compared and looked up, in batches: a
        // commit's cost here does not grow with the group.
        List<Bytes> goneKeys = new ArrayList<>();
        List<Bytes> comeKeys = new ArrayList<>();
        changedKeys(outcome.changed(), i -> i < before.leafCount() ? before.leaf(i) : null, pg::leaf, goneKeys, comeKeys);
        Set<String> gone = devicesWithKeys(c, goneKeys);
        Set<String> come = devicesWithKeys(c, comeKeys);
        for (String id : gone) {
          if (!come.contains(id)) {
            leavers.add(id);
          }
        }
        for (String id : come) {
          if (!gone.contains(id)) {
            joiners.add(id);
          }
        }
        Set<String> after = come;
        if (external && after.contains(sender)) {
          joiners.add(sender);
        }
        next = pg;
      } catch (MlsException e) {
        return e;
      }
    } else {
      if (!gi.groupContext().groupId().equals(t.gid()) || gi.groupContext().epoch() != r.epoch() + 1) {
        return new ValidationException("ds.group-info-epoch", "the GroupInfo is not for the new epoch of this group");
      }
      joiners.addAll(added);
      leavers.addAll(removed);
      if (external) {
        joiners.add(sender);
      }
      try {
        nextTree = nextEncryptedTree(c, t.gid(), r.epoch(), gi, changes);
      } catch (ValidationException e) {
        return e;
      }
    }
    if (Membership.sizeAfter(roster, leavers, joiners) > d.maxGroupSize) {
      return new ValidationException("ds.group-too-large", "groups on this DS hold at most " + d.maxGroupSize + " members");
    }
    Set<String> welcomeTo = new LinkedHashSet<>();
    if (welcome != null && welcome.body() instanceof Welcome w) {
      List<Bytes> refs = new ArrayList<>();
      for (EncryptedGroupSecrets s : w.secrets()) {
        refs.add(s.newMember());
      }
      welcomeTo.addAll(devicesWithKeyPackages(c, refs));
      for (String full : DeliveryLog.queuedAtLeast(c, welcomeTo, d.maxWaitingWelcomes)) {
        return new ValidationException("ds.welcome-limit", "the Welcome cannot be queued: device " + full + " already has "
            + d.maxWaitingWelcomes + " unread Welcomes, the most this DS keeps for one device");
      }
    }
    return new CheckedCommit(r, roster, joiners, leavers, welcomeTo, next, nextTree, changes);
  }

  /**
   * The next tree of an encrypted-handshake group: the kept tree with the uploaded changes applied
   * (or the GroupInfo's inline tree), checked against the tree hash and the signature of the
   * GroupInfo. Null when neither was uploaded (a client from before the DS kept trees).
   */
  private List<org.jmls.message.Node> nextEncryptedTree(Connection c, Bytes gid, long epoch, GroupInfo gi, TreeChanges changes)
      throws SQLException, ValidationException {
    org.jmls.message.Extension inline = org.jmls.message.Extension.find(gi.extensions(), org.jmls.message.Extension.RATCHET_TREE);
    List<org.jmls.message.Node> next;
    if (changes != null) {
      next = changes.applyTo(d.trees.encryptedTree(c, gid, epoch));
    } else if (inline != null) {
      try {
        next = org.jmls.extension.RatchetTree.from(inline).nodes();
      } catch (org.jmls.codec.DecodeException e) {
        throw new ValidationException("ds.tree-changes", "the GroupInfo's ratchet tree does not decode");
      }
    } else {
      return null;
    }
    org.jmls.crypto.CipherSuite suite = org.jmls.crypto.CipherSuite.of(gi.groupContext().cipherSuite());
    if (suite == null) {
      throw new ValidationException("ds.cipher-suite", "unsupported cipher suite " + gi.groupContext().cipherSuite());
    }
    org.jmls.crypto.MlsCrypto crypto = d.services.provider().suite(suite);
    org.jmls.tree.RatchetTree tree = org.jmls.tree.RatchetTree.fromNodes(crypto, next);
    if (!java.util.Arrays.equals(tree.treeHash(), gi.groupContext().treeHash().unsafeArray())) {
      throw new ValidationException("ds.tree-changes-hash",
          "the tree after the uploaded changes does not have the tree hash the GroupInfo signs");
    }
    LeafNode signer = gi.signer() < tree.leafCount() ? tree.leaf(gi.signer()) : null;
    if (signer == null || !org.jmls.framing.WelcomeOpener.groupInfoSignatureValid(crypto, gi, signer.signatureKey())) {
      throw new ValidationException("rfc9420-12.4.3.group-info-signature", "the GroupInfo signature does not verify with its signer's leaf");
    }
    return next;
  }

}
