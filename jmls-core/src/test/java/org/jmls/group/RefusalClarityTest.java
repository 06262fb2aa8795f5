package org.jmls.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.message.Credential;
import org.jmls.message.Lifetime;
import org.jmls.message.MlsMessage;
import org.jmls.message.PrivateMessage;
import org.jmls.message.Proposal;
import org.jmls.message.Welcome;
import org.junit.jupiter.api.Test;

/**
 * Refusals of what does not decrypt name what did not and why (issue 15, item 3), through the group
 * API: a PrivateMessage altered in its content or in the sample its sender data key comes from, and
 * a Welcome whose encrypted GroupInfo was altered (the joiner's group secrets are bound to it, so
 * they no longer decrypt). The member is unchanged after each.
 */
class RefusalClarityTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final GroupServices S = GroupServices.development();

  private static KeyPackageBundle member(String name) throws Exception {
    long now = S.clock().instant().getEpochSecond();
    return KeyPackages.create(S.provider().suite(SUITE), new Credential.Basic(Bytes.wrap(name.getBytes())),
        S.provider().suite(SUITE).generateSignatureKeyPair(), KeyPackages.defaultCapabilities(SUITE),
        new Lifetime(now - 60, now + 3600), List.of(), List.of());
  }

  @Test
  void alteredPrivateMessageAndWelcome_refusedNamingWhatDidNotDecrypt() throws Exception {
    KeyPackageBundle a = member("alice");
    KeyPackageBundle b = member("bob");
    Group alice = Group.create(S, GroupConfig.defaults(), Bytes.wrap(new byte[] {3, 3}), a, List.of());
    Group.CommitResult r = alice.commit(List.of(new Proposal.Add(b.keyPackage())), true);
    alice.mergePendingCommit();
    Welcome w = (Welcome) r.welcome().body();
    byte[] egi = w.encryptedGroupInfo().toByteArray();
    egi[egi.length / 2] ^= 1;
    Welcome altered = new Welcome(w.cipherSuite(), w.secrets(), Bytes.wrap(egi));
    ValidationException welcome = assertThrows(ValidationException.class, () -> Group.join(S, GroupConfig.defaults(), altered, b, null));
    assertEquals("rfc9420-12.4.3.1.group-secrets-decrypt", welcome.ruleId());
    Group bob = Group.join(S, GroupConfig.defaults(), w, b, null);

    PrivateMessage pm = (PrivateMessage) alice.encrypt("hi".getBytes(), new byte[0]).body();
    byte[] ct = pm.ciphertext().toByteArray();
    ct[ct.length - 1] ^= 1;
    MlsMessage content = MlsMessage.of(new PrivateMessage(pm.groupId(), pm.epoch(), pm.contentType(), pm.authenticatedData(),
        pm.encryptedSenderData(), Bytes.wrap(ct)));
    ValidationException c = assertThrows(ValidationException.class, () -> bob.process(content));
    assertEquals("rfc9420-6.3.1.content-decrypt", c.ruleId());
    assertTrue(c.getMessage().contains("sender leaf 0, generation 0"), c.getMessage());
    byte[] sample = pm.ciphertext().toByteArray();
    sample[0] ^= 1;
    MlsMessage senderData = MlsMessage.of(new PrivateMessage(pm.groupId(), pm.epoch(), pm.contentType(), pm.authenticatedData(),
        pm.encryptedSenderData(), Bytes.wrap(sample)));
    assertEquals("rfc9420-6.3.2.sender-data-decrypt", assertThrows(ValidationException.class, () -> bob.process(senderData)).ruleId());
    // Neither consumed the key: the genuine message still decrypts.
    Group.ApplicationMessage m = (Group.ApplicationMessage) bob.process(MlsMessage.of(pm));
    assertEquals("hi", new String(m.data().toByteArray()));
  }
}
