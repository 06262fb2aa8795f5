package org.jmls.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.TlsWriter;
import org.jmls.message.Extension;
import org.jmls.message.Proposal;
import org.jmls.server.JmlsServer;
import org.junit.jupiter.api.Test;

/** Group names agreed in the GroupContext: their rules, and who may change them. */
class GroupNameTest {
  private static String rule(ThrowingRunnable r) {
    return assertThrows(ValidationException.class, r::run).ruleId();
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void names_validAndRefused() throws Exception {
    assertEquals("Book club ☕", GroupName.of(GroupName.toExtension("Book club ☕")));
    assertNull(GroupName.of((Extension) null));
    assertEquals("group-name.empty", rule(() -> GroupName.check("")));
    assertEquals("group-name.spaces", rule(() -> GroupName.check("friends ")));
    assertEquals("group-name.control", rule(() -> GroupName.check("two\nlines")));
    assertEquals("group-name.length", rule(() -> GroupName.check("x".repeat(GroupName.MAX_BYTES + 1))));
    GroupName.check("é".repeat(GroupName.MAX_BYTES / 2)); // counted in bytes of UTF-8: 2 each
    assertEquals("group-name.length", rule(() -> GroupName.check("é".repeat(GroupName.MAX_BYTES / 2 + 1))));
    Extension badUtf8 = new Extension(GroupName.EXTENSION_TYPE, Bytes.wrap(new TlsWriter().opaque(new byte[] {(byte) 0xC3, 0x28}).toByteArray()));
    assertEquals("group-name.utf8", rule(() -> GroupName.of(badUtf8)));
    Extension trailing = new Extension(GroupName.EXTENSION_TYPE, Bytes.wrap(new byte[] {1, 'a', 0}));
    assertEquals("group-name.decode", rule(() -> GroupName.of(trailing)));
  }

  @Test
  void anyMemberRenames_onlyAdminsChangeThePolicy() throws Exception {
    try (JmlsServer s = TestServers.start(Files.createTempDirectory("jmls-names"))) {
      MlsClient alice = TestServers.enrolled(s, "alice@example.com", "a");
      MlsClient bob = TestServers.enrolled(s, "bob@example.com", "b");
      Bytes g = alice.createGroup("friends", GroupPolicy.defaults("alice@example.com"));
      alice.addUser(g, "bob@example.com");
      bob.sync();
      assertEquals("friends", bob.groupName(g));
      assertEquals(List.of(g), bob.groupsNamed("friends"));

      // Bob is no admin, yet may rename; the change reaches Alice as a rename.
      bob.renameGroup(g, "old friends");
      alice.sync();
      assertEquals("old friends", alice.groupName(g));
      assertEquals(List.of(new MlsClient.GroupChange(g, MlsClient.GroupChange.Kind.RENAMED, "old friends", "friends")),
          alice.lastSyncChanges());

      // A GroupContextExtensions proposal that also changes the policy is the admins' alone: refused
      // before anything is sent, and Bob's group is untouched.
      long epoch = bob.epoch(g);
      GroupPolicy mine = GroupPolicy.defaults("bob@example.com");
      List<Extension> next = new ArrayList<>(List.of(mine.toExtension(), GroupName.toExtension("bob's")));
      ValidationException e = assertThrows(ValidationException.class,
          () -> bob.group(g).commit(List.of(new Proposal.GroupContextExtensions(next)), false));
      assertEquals("policy.admin-only", e.ruleId());
      assertEquals(epoch, bob.epoch(g));
      assertEquals("old friends", bob.groupName(g));
      // A rename to an invalid name is refused by the same rule set every member applies.
      List<Extension> bad = new ArrayList<>(bob.group(g).context().extensions());
      bad.removeIf(x -> x.extensionType() == GroupName.EXTENSION_TYPE);
      bad.add(new Extension(GroupName.EXTENSION_TYPE, Bytes.wrap(new TlsWriter().opaque(" x".getBytes()).toByteArray())));
      assertEquals("group-name.spaces", assertThrows(ValidationException.class,
          () -> bob.group(g).commit(List.of(new Proposal.GroupContextExtensions(bad)), false)).ruleId());
      assertTrue(GroupPolicy.onlyRenames(alice.group(g).context().extensions(), List.of(GroupPolicy.defaults("alice@example.com").toExtension(),
          GroupName.toExtension("x"))));
    }
  }
}
