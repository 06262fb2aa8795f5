package org.jmls.schedule;

import javax.security.auth.Destroyable;
import org.jmls.Bytes;
import org.jmls.crypto.CryptoException;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;

/**
 * The secrets of one epoch (RFC 9420 §8, Table 4), derived from the epoch secret. The joiner,
 * welcome and epoch secrets are not kept: they are destroyed as soon as these are derived (§9.2).
 * {@link #initSecret()} is the next epoch's init_secret.
 */
public final class EpochSecrets implements Destroyable {
  private final MlsCrypto crypto;
  private final Secret senderDataSecret;
  private final Secret encryptionSecret;
  private final Secret exporterSecret;
  private final Secret externalSecret;
  private final Secret confirmationKey;
  private final Secret membershipKey;
  private final Secret resumptionPsk;
  private final Bytes epochAuthenticator;
  private final Secret initSecret;

  EpochSecrets(MlsCrypto c, byte[] epochSecret) {
    this.crypto = c;
    senderDataSecret = Secret.wrap(c.deriveSecret(epochSecret, "sender data"));
    encryptionSecret = Secret.wrap(c.deriveSecret(epochSecret, "encryption"));
    exporterSecret = Secret.wrap(c.deriveSecret(epochSecret, "exporter"));
    externalSecret = Secret.wrap(c.deriveSecret(epochSecret, "external"));
    confirmationKey = Secret.wrap(c.deriveSecret(epochSecret, "confirm"));
    membershipKey = Secret.wrap(c.deriveSecret(epochSecret, "membership"));
    resumptionPsk = Secret.wrap(c.deriveSecret(epochSecret, "resumption"));
    epochAuthenticator = Bytes.wrap(c.deriveSecret(epochSecret, "authentication"));
    initSecret = Secret.wrap(c.deriveSecret(epochSecret, "init"));
  }

  private EpochSecrets(MlsCrypto c, Secret[] s, Bytes authenticator) {
    this.crypto = c;
    senderDataSecret = s[0];
    encryptionSecret = s[1];
    exporterSecret = s[2];
    externalSecret = s[3];
    confirmationKey = s[4];
    membershipKey = s[5];
    resumptionPsk = s[6];
    initSecret = s[7];
    epochAuthenticator = authenticator;
  }

  private Secret[] all() {
    return new Secret[] {
      senderDataSecret, encryptionSecret, exporterSecret, externalSecret, confirmationKey, membershipKey, resumptionPsk, initSecret
    };
  }

  /** Writes every secret of the epoch (for group state persistence; the caller encrypts at rest). */
  public void writeTo(org.jmls.codec.TlsWriter w) {
    for (Secret s : all()) {
      // A deleted secret (a retired past epoch) stays deleted: written as empty.
      w.opaque(s.isDestroyed() ? new byte[0] : s.unsafeArray());
    }
    w.opaque(epochAuthenticator);
  }

  /** Reads secrets written by {@link #writeTo}. */
  public static EpochSecrets readFrom(MlsCrypto c, org.jmls.codec.TlsReader r) throws org.jmls.codec.DecodeException {
    Secret[] s = new Secret[8];
    for (int i = 0; i < s.length; i++) {
      s[i] = Secret.wrap(r.opaque().toByteArray());
      if (s[i].length() == 0) {
        s[i].destroy();
      }
    }
    return new EpochSecrets(c, s, r.opaque());
  }

  public Secret senderDataSecret() {
    return senderDataSecret;
  }

  public Secret encryptionSecret() {
    return encryptionSecret;
  }

  public Secret exporterSecret() {
    return exporterSecret;
  }

  public Secret externalSecret() {
    return externalSecret;
  }

  public Secret confirmationKey() {
    return confirmationKey;
  }

  public Secret membershipKey() {
    return membershipKey;
  }

  public Secret resumptionPsk() {
    return resumptionPsk;
  }

  /** The epoch authenticator (§8.7): public by design, members compare it out of band. */
  public Bytes epochAuthenticator() {
    return epochAuthenticator;
  }

  /** init_secret for the next epoch. */
  public Secret initSecret() {
    return initSecret;
  }

  /** The external key pair of §8.3, derived from external_secret. */
  public KeyPair externalKeyPair() throws CryptoException {
    return crypto.deriveKeyPair(externalSecret.unsafeArray());
  }

  /** MLS-Exporter(Label, Context, Length) (§8.5). */
  public byte[] export(byte[] label, byte[] context, int length) {
    byte[] derived = crypto.expandWithLabel(exporterSecret.unsafeArray(), label, new byte[0], crypto.hashLength());
    byte[] out = crypto.expandWithLabel(derived, "exported", crypto.hash(context), length);
    java.util.Arrays.fill(derived, (byte) 0);
    return out;
  }

  /** MLS-Exporter with a text label. */
  public byte[] export(String label, byte[] context, int length) {
    return export(label.getBytes(java.nio.charset.StandardCharsets.UTF_8), context, length);
  }

  /** MAC(confirmation_key, confirmed_transcript_hash) (§8.1). */
  public byte[] confirmationTag(byte[] confirmedTranscriptHash) {
    return crypto.mac(confirmationKey.unsafeArray(), confirmedTranscriptHash);
  }

  /**
   * Deletes what a past epoch no longer needs once the next epoch is in place (§9.2): init,
   * encryption, exporter, external, confirmation and membership secrets. Kept for late application
   * messages and resumption: the sender-data secret and the resumption PSK.
   */
  public void retire() {
    for (Secret s : new Secret[] {initSecret, encryptionSecret, exporterSecret, externalSecret, confirmationKey, membershipKey}) {
      s.destroy();
    }
  }

  @Override
  public void destroy() {
    for (Secret s : all()) {
      s.destroy();
    }
  }

  @Override
  public boolean isDestroyed() {
    return initSecret.isDestroyed();
  }

  @Override
  public String toString() {
    return "EpochSecrets[redacted]";
  }
}
