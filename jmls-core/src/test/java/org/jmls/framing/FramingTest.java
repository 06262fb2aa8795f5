package org.jmls.framing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.CryptoException;
import org.jmls.crypto.DefaultCryptoProvider;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.message.ApplicationData;
import org.jmls.message.AuthenticatedContent;
import org.jmls.message.FramedContent;
import org.jmls.message.GroupContext;
import org.jmls.message.PrivateMessage;
import org.jmls.message.Proposal;
import org.jmls.message.PublicMessage;
import org.jmls.message.Sender;
import org.jmls.message.WireFormat;
import org.jmls.schedule.OutOfOrderPolicy;
import org.jmls.schedule.SecretTree;
import org.junit.jupiter.api.Test;

class FramingTest {
  private static final MlsCrypto C =
      DefaultCryptoProvider.instance().suite(CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519);
  private static final Bytes GROUP = Bytes.wrap(new byte[] {1, 2, 3});
  private static final GroupContext GC =
      new GroupContext(1, 1, GROUP, 7, Bytes.wrap(new byte[32]), Bytes.wrap(new byte[32]), List.of());
  private static final Secret SENDER_DATA = Secret.wrap(new byte[32]);
  private static final KeyPair SIGNER = C.generateSignatureKeyPair();

  private static SecretTree tree() {
    return new SecretTree(C, Secret.wrap(new byte[32]), 4, OutOfOrderPolicy.DEFAULT);
  }

  private static AuthenticatedContent app(String text, WireFormat wf) throws Exception {
    FramedContent fc = new FramedContent(GROUP, 7, Sender.member(2), Bytes.EMPTY, new ApplicationData(Bytes.wrap(text.getBytes())));
    return Framing.sign(C, wf, fc, GC, SIGNER.privateKey(), null);
  }

  @Test
  void privateMessage_tamperedCiphertext_refused_ratchetUnchanged() throws Exception {
    SecretTree sending = tree();
    SecretTree receiving = tree();
    PrivateMessage pm = Framing.toPrivate(C, app("hi", WireFormat.MLS_PRIVATE_MESSAGE), sending, SENDER_DATA, 0);
    byte[] ct = pm.ciphertext().toByteArray();
    ct[ct.length - 1] ^= 1;
    PrivateMessage bad = new PrivateMessage(pm.groupId(), pm.epoch(), pm.contentType(), pm.authenticatedData(), pm.encryptedSenderData(), Bytes.wrap(ct));
    // Past the sample the sender data key is taken from, the content no longer decrypts; within it, the sender data.
    assertEquals("rfc9420-6.3.1.content-decrypt",
        assertThrows(org.jmls.ValidationException.class, () -> Framing.fromPrivate(C, bad, receiving, SENDER_DATA, 4)).ruleId());
    byte[] early = pm.ciphertext().toByteArray();
    early[0] ^= 1;
    PrivateMessage badSample = new PrivateMessage(pm.groupId(), pm.epoch(), pm.contentType(), pm.authenticatedData(),
        pm.encryptedSenderData(), Bytes.wrap(early));
    assertEquals("rfc9420-6.3.2.sender-data-decrypt",
        assertThrows(org.jmls.ValidationException.class, () -> Framing.fromPrivate(C, badSample, receiving, SENDER_DATA, 4)).ruleId());
    // The genuine message still decrypts: the failed attempt consumed nothing.
    AuthenticatedContent ok = Framing.fromPrivate(C, pm, receiving, SENDER_DATA, 4);
    assertEquals("hi", new String(((ApplicationData) ok.content().content()).data().toByteArray()));
    assertTrue(Framing.verifySignature(C, ok, GC, SIGNER.publicKey()));
  }

  @Test
  void privateMessage_replayed_refused_rfc9420_9_4_generationConsumed() throws Exception {
    SecretTree sending = tree();
    SecretTree receiving = tree();
    PrivateMessage pm = Framing.toPrivate(C, app("once", WireFormat.MLS_PRIVATE_MESSAGE), sending, SENDER_DATA, 0);
    Framing.fromPrivate(C, pm, receiving, SENDER_DATA, 4);
    ValidationException e = assertThrows(ValidationException.class, () -> Framing.fromPrivate(C, pm, receiving, SENDER_DATA, 4));
    assertEquals("rfc9420-9.4.generation-consumed", e.ruleId());
  }

  @Test
  void privateMessage_padding_roundsCiphertextToBlock() throws Exception {
    int sizeA = Framing.toPrivate(C, app("a", WireFormat.MLS_PRIVATE_MESSAGE), tree(), SENDER_DATA, 64).ciphertext().length();
    int sizeB = Framing.toPrivate(C, app("abcdefghij", WireFormat.MLS_PRIVATE_MESSAGE), tree(), SENDER_DATA, 64).ciphertext().length();
    assertEquals(sizeA, sizeB);
    assertEquals(0, (sizeA - 16) % 64);
  }

  @Test
  void privateMessage_senderOutsideTree_refused() throws Exception {
    PrivateMessage pm = Framing.toPrivate(C, app("x", WireFormat.MLS_PRIVATE_MESSAGE), tree(), SENDER_DATA, 0);
    ValidationException e = assertThrows(ValidationException.class, () -> Framing.fromPrivate(C, pm, tree(), SENDER_DATA, 2));
    assertEquals("rfc9420-6.3.2.sender-leaf", e.ruleId());
  }

  @Test
  void publicMessage_badMembershipTag_refused_rfc9420_6_2() throws Exception {
    Secret membership = Secret.wrap(new byte[32]);
    FramedContent fc = new FramedContent(GROUP, 7, Sender.member(2), Bytes.EMPTY, new Proposal.Remove(1));
    PublicMessage pm = Framing.toPublic(C, Framing.sign(C, WireFormat.MLS_PUBLIC_MESSAGE, fc, GC, SIGNER.privateKey(), null), GC, membership);
    Framing.verifyMembershipTag(C, pm, GC, membership);
    ValidationException e = assertThrows(ValidationException.class,
        () -> Framing.verifyMembershipTag(C, pm, GC, Secret.wrap(new byte[] {1})));
    assertEquals("rfc9420-6.2.membership-tag", e.ruleId());
  }

  @Test
  void signature_boundToGroupContextAndWireFormat() throws Exception {
    AuthenticatedContent ac = app("x", WireFormat.MLS_PUBLIC_MESSAGE);
    assertTrue(Framing.verifySignature(C, ac, GC, SIGNER.publicKey()));
    GroupContext other = new GroupContext(1, 1, GROUP, 8, GC.treeHash(), GC.confirmedTranscriptHash(), List.of());
    assertFalse(Framing.verifySignature(C, ac, other, SIGNER.publicKey()));
    AuthenticatedContent asPrivate = new AuthenticatedContent(WireFormat.MLS_PRIVATE_MESSAGE, ac.content(), ac.auth());
    assertFalse(Framing.verifySignature(C, asPrivate, GC, SIGNER.publicKey()));
  }
}
