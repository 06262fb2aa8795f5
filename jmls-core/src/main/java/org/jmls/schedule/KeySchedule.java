package org.jmls.schedule;

import java.util.Arrays;
import java.util.List;
import org.jmls.codec.TlsWriter;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.message.PreSharedKeyId;

/**
 * The key schedule of RFC 9420 §8: from init_secret, commit_secret and psk_secret to the joiner,
 * welcome and epoch secrets and everything derived from the epoch secret. Intermediate secrets are
 * wiped before returning.
 */
public final class KeySchedule {
  private KeySchedule() {}

  /** A pre-shared key and its id, as an input to {@link #pskSecret}. */
  public record Psk(PreSharedKeyId id, Secret psk) {}

  /** The result of one step: the joiner secret (for Welcome), welcome secret, and the epoch's secrets. */
  public record Step(Secret joinerSecret, Secret welcomeSecret, EpochSecrets epoch) {}

  /**
   * joiner_secret = ExpandWithLabel(KDF.Extract(init_secret, commit_secret), "joiner",
   * GroupContext_[n], Nh).
   */
  public static Secret joinerSecret(MlsCrypto c, byte[] initSecret, byte[] commitSecret, byte[] groupContext) {
    byte[] prk = c.kdfExtract(initSecret, commitSecret);
    byte[] joiner = c.expandWithLabel(prk, "joiner", groupContext, c.hashLength());
    Arrays.fill(prk, (byte) 0);
    return Secret.wrap(joiner);
  }

  /** Everything that follows from the joiner secret (used by members and by joiners from a Welcome). */
  public static Step fromJoiner(MlsCrypto c, Secret joinerSecret, byte[] pskSecret, byte[] groupContext) {
    byte[] member = c.kdfExtract(joinerSecret.unsafeArray(), pskSecret);
    Secret welcome = Secret.wrap(c.deriveSecret(member, "welcome"));
    byte[] epochSecret = c.expandWithLabel(member, "epoch", groupContext, c.hashLength());
    Arrays.fill(member, (byte) 0);
    EpochSecrets epoch = new EpochSecrets(c, epochSecret);
    Arrays.fill(epochSecret, (byte) 0);
    return new Step(joinerSecret, welcome, epoch);
  }

  /** The secrets of an epoch whose epoch_secret is given, e.g. a fresh random one at group creation (§11). */
  public static EpochSecrets fromEpochSecret(MlsCrypto c, byte[] epochSecret) {
    return new EpochSecrets(c, epochSecret);
  }

  /** One full step of the schedule for a member. */
  public static Step next(
      MlsCrypto c, byte[] initSecret, byte[] commitSecret, byte[] pskSecret, byte[] groupContext) {
    return fromJoiner(c, joinerSecret(c, initSecret, commitSecret, groupContext), pskSecret, groupContext);
  }

  /** Nh zero bytes: the commit secret or psk secret when there is none. */
  public static byte[] zero(MlsCrypto c) {
    return new byte[c.hashLength()];
  }

  /**
   * psk_secret of §8.4 for the PSKs in order: psk_secret_[0] = 0; for each i, psk_extracted =
   * Extract(0, psk_i); psk_input = ExpandWithLabel(psk_extracted, "derived psk", PSKLabel, Nh);
   * psk_secret_[i+1] = Extract(psk_input, psk_secret_[i]).
   */
  public static byte[] pskSecret(MlsCrypto c, List<Psk> psks) {
    byte[] secret = zero(c);
    for (int i = 0; i < psks.size(); i++) {
      Psk p = psks.get(i);
      byte[] extracted = c.kdfExtract(zero(c), p.psk().unsafeArray());
      TlsWriter label = new TlsWriter();
      p.id().encode(label);
      label.u16(i).u16(psks.size());
      byte[] input = c.expandWithLabel(extracted, "derived psk", label.toByteArray(), c.hashLength());
      byte[] nextSecret = c.kdfExtract(input, secret);
      Arrays.fill(extracted, (byte) 0);
      Arrays.fill(input, (byte) 0);
      Arrays.fill(secret, (byte) 0);
      secret = nextSecret;
    }
    return secret;
  }
}
