package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jmls.Bytes;
import org.jmls.group.Group;
import org.jmls.group.GroupServices;
import org.jmls.server.JmlsServer;
import org.junit.jupiter.api.Test;

/**
 * A device that was offline catches up through the real servers: pages that mix application
 * messages of several senders with commits (messages before and after each epoch change), read
 * with its workers checking signatures in parallel, its state kept in its encrypted store with
 * the ratchet trees apart (rewritten only when the epoch changed), and restored from there.
 */
class CatchUpTest {
  private static final char[] PASS = "pass".toCharArray();

  @Test
  void offlineDevice_catchesUpAcrossCommits_inOrder_storeKeepsTreesApart() throws Exception {
    Path dir = Files.createTempDirectory("jmls-catchup");
    ExecutorService workers = Executors.newFixedThreadPool(2);
    try (JmlsServer s = TestServers.start(dir)) {
      MlsClient alice = TestServers.enrolled(s, "alice@example.com", "a");
      MlsClient carol = TestServers.enrolled(s, "carol@example.com", "c");
      MlsClient bob = TestServers.enrolled(s, "bob@example.com", "b");
      ClientStore store = ClientStore.open(dir.resolve("bob.db"), PASS);
      bob.persistTo(store);
      bob.workers(workers);
      Bytes g = alice.createGroup("club");
      alice.addUsers(g, List.of("bob@example.com", "carol@example.com"));
      carol.sync();
      bob.sync();
      String key = g.hex();
      assertTrue(Group.savedWithoutTrees(store.get("group/" + key)), "the state is stored without its trees");
      byte[] treesAtJoin = store.get("trees/" + key);
      assertNotNull(treesAtJoin);

      // Bob is offline: 150 messages from two senders, then a rename (a commit), then 150 more.
      List<String> sent = new ArrayList<>();
      for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 150; i++) {
          MlsClient from = i % 3 == 0 ? carol : alice;
          String text = "r" + round + " m" + i;
          from.send(g, text);
          sent.add(text);
        }
        if (round == 0) {
          carol.renameGroup(g, "book club");
          alice.sync();
        }
      }
      List<String> got = new ArrayList<>();
      for (MlsClient.Received r : bob.sync()) {
        got.add(r.text());
      }
      assertEquals(sent, got, "every message once, in order, across the epoch change");
      assertEquals("book club", bob.groupName(g));
      assertTrue(bob.lastSyncProblems().isEmpty(), bob.lastSyncProblems().toString());
      byte[] treesNow = store.get("trees/" + key);
      assertTrue(!java.util.Arrays.equals(treesAtJoin, treesNow), "the trees entry follows the epoch");

      // Pages of messages without a commit leave the trees entry as it was.
      for (int i = 0; i < 5; i++) {
        alice.send(g, "more " + i);
      }
      assertEquals(5, bob.sync().size());
      assertArrayEquals(treesNow, store.get("trees/" + key));

      // Texts Bob processed inside another operation (his commit loses a race to Alice's rename and
      // catches up) wait in the store for his next sync, across a restart; once returned, the store
      // forgets them.
      for (int i = 0; i < 3; i++) {
        alice.send(g, "while committing " + i);
      }
      alice.renameGroup(g, "the club");
      bob.updateKeys(g);
      assertTrue(!store.names("inbox/").isEmpty(), "the texts are in the store");
      store.close();
      store = ClientStore.open(dir.resolve("bob.db"), PASS);
      MlsClient bobAgain = MlsClient.restore("http://127.0.0.1:" + s.port(), store);
      assertEquals(List.of("while committing 0", "while committing 1", "while committing 2"),
          bobAgain.sync().stream().map(MlsClient.Received::text).toList());
      assertEquals(List.of(), store.names("inbox"));
      alice.sync();

      // Restored from the store, Bob is the same member.
      store.close();
      ClientStore reopened = ClientStore.open(dir.resolve("bob.db"), PASS);
      MlsClient restored = MlsClient.restore("http://127.0.0.1:" + s.port(), reopened);
      alice.send(g, "after restore");
      assertEquals(List.of("after restore"), restored.sync().stream().map(MlsClient.Received::text).toList());

      // A store from before the trees were kept apart (whole states) restores, and is then written apart.
      Group whole = Group.load(GroupServices.development(), reopened.get("group/" + key), reopened.get("trees/" + key));
      reopened.putAll(java.util.Map.of("group/" + key, whole.save()));
      reopened.putAll(java.util.Collections.singletonMap("trees/" + key, null));
      reopened.close();
      ClientStore old = ClientStore.open(dir.resolve("bob.db"), PASS);
      MlsClient fromOld = MlsClient.restore("http://127.0.0.1:" + s.port(), old);
      alice.send(g, "to the old store");
      assertEquals(List.of("to the old store"), fromOld.sync().stream().map(MlsClient.Received::text).toList());
      assertTrue(Group.savedWithoutTrees(old.get("group/" + key)));
      assertNotNull(old.get("trees/" + key), "the trees are written beside the state on the first write");
      old.close();
      ClientStore again = ClientStore.open(dir.resolve("bob.db"), PASS);
      MlsClient.restore("http://127.0.0.1:" + s.port(), again);
      again.close();
    } finally {
      workers.shutdownNow();
    }
  }
}
