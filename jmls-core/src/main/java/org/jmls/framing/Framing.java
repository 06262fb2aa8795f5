package org.jmls.framing;

import java.util.Arrays;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;
import org.jmls.crypto.CryptoException;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.message.AuthenticatedContent;
import org.jmls.message.ContentType;
import org.jmls.message.FramedContent;
import org.jmls.message.FramedContentAuthData;
import org.jmls.message.GroupContext;
import org.jmls.message.PrivateMessage;
import org.jmls.message.PrivateMessageContent;
import org.jmls.message.PublicMessage;
import org.jmls.message.Sender;
import org.jmls.message.SenderData;
import org.jmls.message.SenderType;
import org.jmls.message.WireFormat;
import org.jmls.schedule.RatchetKey;
import org.jmls.schedule.SecretTree;

/**
 * Message framing (RFC 9420 §6): signing and verifying content, PublicMessage membership tags, and
 * PrivateMessage sender-data and content encryption. Stateless apart from the secret tree passed in.
 */
public final class Framing {
  private Framing() {}

  /**
   * Signs {@code content} for {@code wireFormat} (§6.1): FramedContentTBS includes {@code context}
   * for PublicMessages from members and new members' commits. {@code confirmationTag} is required
   * for commits and ignored otherwise.
   */
  public static AuthenticatedContent sign(
      MlsCrypto c, WireFormat wireFormat, FramedContent content, GroupContext context,
      Secret signatureKey, Bytes confirmationTag) throws CryptoException {
    Bytes sig = c.signWithLabel(signatureKey, "FramedContentTBS", content.toBeSigned(wireFormat, context));
    return new AuthenticatedContent(wireFormat, content,
        new FramedContentAuthData(sig, content.contentType() == ContentType.COMMIT ? confirmationTag : null));
  }

  /** Whether the signature of {@code ac} verifies under {@code signatureKey} (§6.1). */
  public static boolean verifySignature(MlsCrypto c, AuthenticatedContent ac, GroupContext context, Bytes signatureKey) {
    return c.verifyWithLabel(signatureKey, "FramedContentTBS",
        ac.content().toBeSigned(ac.wireFormat(), context), ac.auth().signature());
  }

  /** membership_tag = MAC(membership_key, AuthenticatedContentTBM) (§6.2). */
  public static Bytes membershipTag(MlsCrypto c, AuthenticatedContent ac, GroupContext context, Secret membershipKey) {
    TlsWriter w = new TlsWriter();
    w.raw(ac.content().toBeSigned(WireFormat.MLS_PUBLIC_MESSAGE, context));
    ac.auth().encode(w, ac.content().contentType());
    return Bytes.wrap(c.mac(membershipKey.unsafeArray(), w.toByteArray()));
  }

  /** Frames {@code ac} as a PublicMessage, with a membership tag when the sender is a member. */
  public static PublicMessage toPublic(MlsCrypto c, AuthenticatedContent ac, GroupContext context, Secret membershipKey) {
    Bytes tag = ac.content().sender().senderType() == SenderType.MEMBER
        ? membershipTag(c, ac, context, membershipKey) : null;
    return new PublicMessage(ac.content(), ac.auth(), tag);
  }

  /** Checks a member's PublicMessage membership tag in constant time (§6.2). */
  public static void verifyMembershipTag(MlsCrypto c, PublicMessage m, GroupContext context, Secret membershipKey)
      throws ValidationException {
    if (m.membershipTag() == null) {
      return;
    }
    Bytes expected = membershipTag(c, m.authenticatedContent(), context, membershipKey);
    if (!java.security.MessageDigest.isEqual(expected.unsafeArray(), m.membershipTag().unsafeArray())) {
      throw new ValidationException("rfc9420-6.2.membership-tag", "the membership tag does not verify");
    }
  }

  private static SecretTree.RatchetType ratchetFor(ContentType t) {
    return t == ContentType.APPLICATION ? SecretTree.RatchetType.APPLICATION : SecretTree.RatchetType.HANDSHAKE;
  }

  private static byte[] xorReuseGuard(byte[] nonce, byte[] guard) {
    byte[] n = nonce.clone();
    for (int i = 0; i < 4; i++) {
      n[i] ^= guard[i];
    }
    return n;
  }

  /**
   * Encrypts member content as a PrivateMessage (§6.3): the next key of the sender's ratchet, a
   * random reuse guard, {@code paddingBlock} (0 for none) rounding the plaintext up to a multiple,
   * and the encrypted sender data. Consumed keys are destroyed.
   */
  public static PrivateMessage toPrivate(
      MlsCrypto c, AuthenticatedContent ac, SecretTree tree, Secret senderDataSecret, int paddingBlock)
      throws ValidationException {
    FramedContent fc = ac.content();
    if (fc.sender().senderType() != SenderType.MEMBER) {
      throw new ValidationException("rfc9420-6.3.member-sender", "only members send PrivateMessages");
    }
    int leaf = fc.sender().index();
    RatchetKey key = tree.next(leaf, ratchetFor(fc.contentType()));
    byte[] guard = c.randomBytes(4);
    int unpadded = new PrivateMessageContent(fc.content(), ac.auth(), 0).toByteArray().length;
    int padding = paddingBlock > 0 ? (paddingBlock - unpadded % paddingBlock) % paddingBlock : 0;
    byte[] plaintext = new PrivateMessageContent(fc.content(), ac.auth(), padding).toByteArray();
    PrivateMessage shell = new PrivateMessage(fc.groupId(), fc.epoch(), fc.contentType(), fc.authenticatedData(), Bytes.EMPTY, Bytes.EMPTY);
    byte[] ciphertext = c.aeadSeal(key.key().unsafeArray(), xorReuseGuard(key.nonce().unsafeArray(), guard),
        shell.contentAad(), plaintext);
    Arrays.fill(plaintext, (byte) 0);
    byte[] senderData = new SenderData(leaf, key.generation(), Bytes.wrap(guard)).toByteArray();
    key.destroy();
    RatchetKey sdk = SecretTree.senderDataKey(c, senderDataSecret, ciphertext);
    byte[] encSenderData = c.aeadSeal(sdk.key().unsafeArray(), sdk.nonce().unsafeArray(), shell.senderDataAad(), senderData);
    sdk.destroy();
    return new PrivateMessage(fc.groupId(), fc.epoch(), fc.contentType(), fc.authenticatedData(),
        Bytes.wrap(encSenderData), Bytes.wrap(ciphertext));
  }

  /**
   * Decrypts a PrivateMessage (§6.3.2): sender data first (leaf index, generation, reuse guard),
   * then the content with that sender's key for that generation. Returns the AuthenticatedContent
   * (wire format private); the caller verifies the signature with the sender's leaf key.
   */
  public static AuthenticatedContent fromPrivate(
      MlsCrypto c, PrivateMessage m, SecretTree tree, Secret senderDataSecret, int leafCount)
      throws ValidationException, CryptoException {
    return open(c, m, tree, senderDataSecret, leafCount).content();
  }

  /** A decrypted PrivateMessage with the sender's ratchet generation it was encrypted under. */
  public record Opened(AuthenticatedContent content, int generation) {}

  /** As {@link #fromPrivate}, also returning the generation (for gap detection, RFC 9420 §9.4). */
  public static Opened open(
      MlsCrypto c, PrivateMessage m, SecretTree tree, Secret senderDataSecret, int leafCount)
      throws ValidationException, CryptoException {
    byte[] ct = m.ciphertext().unsafeArray();
    RatchetKey sdk = SecretTree.senderDataKey(c, senderDataSecret, ct);
    byte[] sdBytes;
    try {
      sdBytes = c.aeadOpen(sdk.key().unsafeArray(), sdk.nonce().unsafeArray(), m.senderDataAad(), m.encryptedSenderData().unsafeArray());
    } catch (CryptoException e) {
      // The key is taken from the epoch's sender data secret and a sample of the ciphertext.
      throw new ValidationException("rfc9420-6.3.2.sender-data-decrypt", "the PrivateMessage's sender data does not decrypt"
          + " with this epoch's sender data key: the message was altered, or it is not for epoch " + m.epoch() + " of this group");
    } finally {
      sdk.destroy();
    }
    SenderData sd;
    try {
      sd = TlsReader.decode(sdBytes, SenderData::decode);
    } catch (DecodeException e) {
      throw new ValidationException("rfc9420-6.3.2.sender-data", "sender data does not decode: " + e.reason());
    }
    if (sd.leafIndex() < 0 || sd.leafIndex() >= leafCount) {
      throw new ValidationException("rfc9420-6.3.2.sender-leaf", "sender leaf " + Integer.toUnsignedLong(sd.leafIndex()) + " is outside the tree");
    }
    // The key is consumed only if the content decrypts: a corrupted message leaves the ratchet as it was.
    byte[] pt;
    try {
      pt = tree.use(sd.leafIndex(), ratchetFor(m.contentType()), sd.generation(), key ->
          c.aeadOpen(key.key().unsafeArray(), xorReuseGuard(key.nonce().unsafeArray(), sd.reuseGuard().unsafeArray()),
              m.contentAad(), ct));
    } catch (CryptoException e) {
      throw new ValidationException("rfc9420-6.3.1.content-decrypt", "the PrivateMessage's content does not decrypt with the key of"
          + " sender leaf " + sd.leafIndex() + ", generation " + sd.generation() + " (" + m.contentType() + " ratchet): the message"
          + " was altered, or encrypted with another key");
    }
    PrivateMessageContent pmc;
    try {
      pmc = TlsReader.decode(pt, r -> PrivateMessageContent.decode(r, m.contentType()));
    } catch (DecodeException e) {
      throw new ValidationException("rfc9420-6.3.1.content", "decrypted content does not decode: " + e.reason());
    } finally {
      Arrays.fill(pt, (byte) 0);
    }
    FramedContent fc = new FramedContent(m.groupId(), m.epoch(), Sender.member(sd.leafIndex()), m.authenticatedData(), pmc.content());
    return new Opened(new AuthenticatedContent(WireFormat.MLS_PRIVATE_MESSAGE, fc, pmc.auth()), sd.generation());
  }
}
