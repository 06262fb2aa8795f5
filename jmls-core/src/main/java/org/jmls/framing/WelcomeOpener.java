package org.jmls.framing;

import java.util.Arrays;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.crypto.CryptoException;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.message.EncryptedGroupSecrets;
import org.jmls.message.GroupInfo;
import org.jmls.message.GroupSecrets;
import org.jmls.message.Welcome;
import org.jmls.schedule.KeySchedule;

/**
 * Opening a Welcome (RFC 9420 §12.4.3.1) up to a verified GroupInfo: find the entry for our
 * KeyPackage, decrypt GroupSecrets with the KeyPackage's init key, derive the welcome key from the
 * joiner and PSK secrets, decrypt the GroupInfo, and verify its signature and confirmation tag.
 * Tree validation and building the group state belong to the group layer.
 */
public final class WelcomeOpener {
  private WelcomeOpener() {}

  /** The EncryptedGroupSecrets addressed to {@code keyPackageRef}, or null. */
  public static EncryptedGroupSecrets find(Welcome w, Bytes keyPackageRef) {
    for (EncryptedGroupSecrets e : w.secrets()) {
      if (e.newMember().equals(keyPackageRef)) {
        return e;
      }
    }
    return null;
  }

  /** GroupSecrets = DecryptWithLabel(init_key, "Welcome", encrypted_group_info, kem_output, ciphertext). */
  public static GroupSecrets decryptGroupSecrets(MlsCrypto c, Welcome w, EncryptedGroupSecrets e, Secret initKey)
      throws CryptoException, ValidationException {
    byte[] pt;
    try {
      pt = c.decryptWithLabel(initKey, "Welcome", w.encryptedGroupInfo().unsafeArray(), e.encryptedGroupSecrets());
    } catch (CryptoException ex) {
      throw new ValidationException("rfc9420-12.4.3.1.group-secrets-decrypt", "the Welcome's group secrets for this KeyPackage do not"
          + " decrypt with its init key: the Welcome was altered (its encrypted GroupInfo is bound to them), or they were encrypted"
          + " to another key");
    }
    try {
      return TlsReader.decode(pt, GroupSecrets::decode);
    } catch (DecodeException ex) {
      throw new ValidationException("rfc9420-12.4.3.1.group-secrets", "GroupSecrets do not decode: " + ex.reason());
    } finally {
      Arrays.fill(pt, (byte) 0);
    }
  }

  /**
   * Decrypts encrypted_group_info with welcome_key and welcome_nonce derived from welcome_secret
   * (§12.4.3.1).
   */
  public static GroupInfo decryptGroupInfo(MlsCrypto c, Welcome w, Secret welcomeSecret)
      throws CryptoException, ValidationException {
    int nk = c.cipherSuite().aead().keyLength();
    int nn = c.cipherSuite().aead().nonceLength();
    byte[] key = c.expandWithLabel(welcomeSecret.unsafeArray(), "key", new byte[0], nk);
    byte[] nonce = c.expandWithLabel(welcomeSecret.unsafeArray(), "nonce", new byte[0], nn);
    byte[] pt;
    try {
      pt = c.aeadOpen(key, nonce, new byte[0], w.encryptedGroupInfo().unsafeArray());
    } catch (CryptoException e) {
      throw new ValidationException("rfc9420-12.4.3.1.group-info-decrypt", "the Welcome's encrypted GroupInfo does not decrypt with"
          + " the welcome key from the joiner's secrets: the Welcome was altered, or its parts come from different commits");
    } finally {
      Arrays.fill(key, (byte) 0);
    }
    try {
      return TlsReader.decode(pt, GroupInfo::decode);
    } catch (DecodeException ex) {
      throw new ValidationException("rfc9420-12.4.3.1.group-info", "GroupInfo does not decode: " + ex.reason());
    }
  }

  /** VerifyWithLabel(signer key, "GroupInfoTBS", GroupInfoTBS, signature) (§12.4.3). */
  public static boolean groupInfoSignatureValid(MlsCrypto c, GroupInfo gi, Bytes signerKey) {
    return c.verifyWithLabel(signerKey, "GroupInfoTBS", gi.toBeSigned(), gi.signature());
  }

  /** The outcome of opening a Welcome. */
  public record Opened(GroupSecrets groupSecrets, GroupInfo groupInfo, KeySchedule.Step schedule) {}

  /**
   * Decrypts everything for the holder of {@code keyPackageRef}/{@code initKey}, with the PSKs the
   * GroupSecrets name already resolved in {@code psks} (in order), then checks the confirmation
   * tag against the epoch's confirmation key. The GroupInfo signature is checked by the caller once
   * it knows the signer's key from the tree.
   */
  public static Opened open(MlsCrypto c, Welcome w, Bytes keyPackageRef, Secret initKey, List<KeySchedule.Psk> psks)
      throws CryptoException, ValidationException {
    EncryptedGroupSecrets e = find(w, keyPackageRef);
    if (e == null) {
      throw new ValidationException("rfc9420-12.4.3.1.no-entry", "the Welcome has no entry for this KeyPackage");
    }
    GroupSecrets gs = decryptGroupSecrets(c, w, e, initKey);
    if (gs.psks().size() != psks.size()) {
      throw new ValidationException("rfc9420-12.4.3.1.psks", "the Welcome names " + gs.psks().size() + " PSKs, " + psks.size() + " supplied");
    }
    byte[] pskSecret = KeySchedule.pskSecret(c, psks);
    Secret joiner = Secret.copyOf(gs.joinerSecret().unsafeArray());
    byte[] member = c.kdfExtract(joiner.unsafeArray(), pskSecret);
    Secret welcomeSecret = Secret.wrap(c.deriveSecret(member, "welcome"));
    Arrays.fill(member, (byte) 0);
    GroupInfo gi = decryptGroupInfo(c, w, welcomeSecret);
    welcomeSecret.destroy();
    KeySchedule.Step step = KeySchedule.fromJoiner(c, joiner, pskSecret, gi.groupContext().toByteArray());
    byte[] tag = step.epoch().confirmationTag(gi.groupContext().confirmedTranscriptHash().unsafeArray());
    if (!java.security.MessageDigest.isEqual(tag, gi.confirmationTag().unsafeArray())) {
      throw new ValidationException("rfc9420-12.4.3.1.confirmation-tag", "the GroupInfo confirmation tag does not verify");
    }
    return new Opened(gs, gi, step);
  }
}
