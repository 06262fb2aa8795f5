package org.jmls.ds;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.jmls.ValidationException;
import org.jmls.extension.RatchetTree;
import org.jmls.group.Group;
import org.jmls.group.GroupServices;
import org.jmls.message.MlsMessage;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;
import org.jmls.service.Database;
import org.jmls.service.Databases;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The DS keeps public groups' ratchet trees: commits and Welcomes travel without them. */
class TreeServiceTest {
  private static final GroupServices S = GroupServices.development();

  private static List<org.jmls.message.Node> decode(byte[] tree) throws ValidationException {
    try {
      return RatchetTree.fromBytes(tree).nodes();
    } catch (org.jmls.codec.DecodeException e) {
      throw new ValidationException("test.decode", e.reason());
    }
  }

  private static byte[] treeOf(Group g) {
    return new RatchetTree(g.tree().toNodes()).toByteArray();
  }

  /**
   * Over more epochs than a checkpoint spans, with adds, removes and updates uploaded without a
   * tree, the tree the DS serves for each recent epoch is the members' tree, from the live state
   * and from a directory that starts cold on the same database (checkpoint plus replayed log).
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void servedTree_equalsMembersTree_everyEpoch_warmAndCold(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      GroupDirectory groups = new GroupDirectory(d, S);
      GroupDirectoryTest.Device[] devices = GroupDirectoryTest.formGroup(dir, groups, 3, true);
      Group alice = devices[0].group;
      List<byte[]> expected = new ArrayList<>();
      int commits = TreeService.CHECKPOINT_EVERY + 5;
      for (int i = 0; i < commits; i++) {
        Group.CommitResult r;
        if (i == 10) {
          r = alice.commit(List.of(new Proposal.Remove(devices[2].group.myLeafIndex())), true);
        } else {
          r = alice.commit(List.of(), true);
        }
        MlsMessage withoutTree = r.groupInfo(false);
        assertTrue(withoutTree.toByteArray().length < r.groupInfo().toByteArray().length);
        groups.commit(devices[0].id, r.commit(), null, withoutTree, List.of(), List.of());
        alice.mergePendingCommit();
        expected.add(treeOf(alice));
        assertArrayEquals(treeOf(alice), groups.tree(devices[0].id, alice.groupId(), alice.epoch()), "epoch " + alice.epoch());
      }
      // Checkpoints at creation and every CHECKPOINT_EVERY epochs, so a rebuild replays at most that many commits.
      long checkpoints = d.transaction(c -> {
        try (var q = c.prepareStatement("SELECT COUNT(*) FROM ds_tree_checkpoints"); var rs = q.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      });
      assertEquals(1 + (alice.epoch() / TreeService.CHECKPOINT_EVERY), checkpoints);
      // A cold directory (a restart, another node) rebuilds every served epoch from the checkpoint and the log.
      GroupDirectory cold = new GroupDirectory(d, S);
      long current = alice.epoch();
      for (long e = current - TreeService.SERVED_EPOCHS; e <= current; e++) {
        assertArrayEquals(expected.get((int) (e - (current - commits + 1))), cold.tree(devices[0].id, alice.groupId(), e), "epoch " + e);
      }
      assertEquals("ds.tree-unavailable",
          assertThrows(ValidationException.class, () -> cold.tree(devices[0].id, alice.groupId(), current + 1)).ruleId());
      assertEquals("ds.tree-unavailable", assertThrows(ValidationException.class,
          () -> cold.tree(devices[0].id, alice.groupId(), current - TreeService.SERVED_EPOCHS - 1)).ruleId());
      // The cold directory also orders and verifies the next commit from its rebuilt state.
      Group.CommitResult next = alice.commit(List.of(), true);
      cold.commit(devices[0].id, next.commit(), null, next.groupInfo(false), List.of(), List.of());
      alice.mergePendingCommit();
      assertArrayEquals(treeOf(alice), cold.tree(devices[0].id, alice.groupId(), alice.epoch()));
    }
  }

  /**
   * A newcomer joins from a Welcome without a tree with the tree the DS serves; a tree from
   * another epoch (a DS serving the wrong one) is refused with the rule that names it.
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void joinWithServedTree_rightOneJoins_wrongOneRefused(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      GroupDirectory groups = new GroupDirectory(d, S);
      GroupDirectoryTest.Device[] devices = GroupDirectoryTest.formGroup(dir, groups, 2, true);
      Group alice = devices[0].group;
      GroupDirectoryTest.Device dave = new GroupDirectoryTest.Device(dir, "dave@example.com");
      KeyPackageDirectory.Claimed kp = dir.claim(dave.id, org.jmls.crypto.CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519.id()).get(0);
      Group.CommitResult add = alice.commit(List.of(), List.of(new Proposal.Add((org.jmls.message.KeyPackage)
          MlsMessage.fromBytes(kp.keyPackageMessage().unsafeArray()).body())), true, false);
      groups.commit(devices[0].id, add.commit(), add.welcome(), add.groupInfo(false), List.of(), List.of());
      alice.mergePendingCommit();
      Welcome w = (Welcome) MlsMessage.fromBytes(groups.fetch(dave.id, 0, 10).get(0).message().unsafeArray()).body();

      byte[] stale = groups.tree(dave.id, alice.groupId(), alice.epoch() - 1);
      ValidationException wrong = assertThrows(ValidationException.class, () -> Group.join(S, gc -> dave.config, w, dave.kp,
          (gid, epoch) -> decode(stale)));
      assertTrue(wrong.ruleId().contains("tree-hash"), wrong.ruleId() + ": " + wrong.getMessage());

      Group joined = Group.join(S, gc -> dave.config, w, dave.kp,
          (gid, epoch) -> {
            try {
              return decode(groups.tree(dave.id, gid, epoch));
            } catch (java.sql.SQLException e) {
              throw new IllegalStateException(e);
            }
          });
      assertEquals(alice.epochAuthenticator(), joined.epochAuthenticator());
    }
  }

  /**
   * An encrypted-handshake group: the DS cannot read commits, so each committer uploads what its
   * commit changed in the tree. The DS keeps the tree from those changes (served equal to the
   * members' tree, warm and cold); a change set that does not produce the tree hash the GroupInfo
   * signs is refused and nothing is stored.
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void encryptedGroup_treeFromUploadedChanges_wrongChangesRefused(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      GroupDirectory groups = new GroupDirectory(d, S);
      GroupDirectoryTest.Device[] devices = GroupDirectoryTest.formGroup(dir, groups, 3, false);
      Group alice = devices[0].group;
      for (int i = 0; i < TreeService.CHECKPOINT_EVERY + 3; i++) {
        List<org.jmls.message.Node> before = alice.tree().toNodes();
        Group.CommitResult r = alice.commit(List.of(), true);
        List<org.jmls.message.Node> after = RatchetTree.from(org.jmls.message.Extension.find(((org.jmls.message.GroupInfo)
            r.groupInfo().body()).extensions(), org.jmls.message.Extension.RATCHET_TREE)).nodes();
        TreeChanges changes = TreeChanges.between(before, after);
        assertTrue(changes.toByteArray().length < new RatchetTree(after).toByteArray().length, "a change set, not the tree");
        if (i == 5) {
          // A change set that leaves out a change: refused, nothing stored.
          TreeChanges partial = new TreeChanges(changes.nodeCount(), changes.changes().subList(1, changes.changes().size()));
          long epoch = groups.epoch(alice.groupId());
          ValidationException e = assertThrows(ValidationException.class, () -> groups.commit(devices[0].id, r.commit(), null,
              r.groupInfo(false), List.of(), List.of(), partial));
          assertEquals("ds.tree-changes-hash", e.ruleId());
          assertEquals(epoch, groups.epoch(alice.groupId()));
          assertArrayEquals(treeOf(alice), groups.tree(devices[0].id, alice.groupId(), epoch), "the kept tree is unchanged");
        }
        groups.commit(devices[0].id, r.commit(), null, r.groupInfo(false), List.of(), List.of(), changes);
        alice.mergePendingCommit();
        assertArrayEquals(treeOf(alice), groups.tree(devices[0].id, alice.groupId(), alice.epoch()), "epoch " + alice.epoch());
      }
      GroupDirectory cold = new GroupDirectory(d, S);
      assertArrayEquals(treeOf(alice), cold.tree(devices[0].id, alice.groupId(), alice.epoch()), "rebuilt from checkpoint and changes");
      // Members that process the commits agree with the tree the DS kept.
      for (int k = 1; k < devices.length; k++) {
        devices[k].sync(groups);
        assertArrayEquals(treeOf(devices[k].group), cold.tree(devices[k].id, alice.groupId(), alice.epoch()));
      }
    }
  }
}
