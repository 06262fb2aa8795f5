package org.jmls.schedule;

import org.jmls.codec.TlsWriter;
import org.jmls.crypto.MlsCrypto;
import org.jmls.message.AuthenticatedContent;

/** Transcript hashes (RFC 9420 §8.2). */
public final class TranscriptHash {
  private TranscriptHash() {}

  /** confirmed_transcript_hash_[n] = Hash(interim_[n-1] || ConfirmedTranscriptHashInput_[n]). */
  public static byte[] confirmed(MlsCrypto c, byte[] interimBefore, AuthenticatedContent commit) {
    byte[] input = commit.confirmedTranscriptHashInput();
    byte[] all = new byte[interimBefore.length + input.length];
    System.arraycopy(interimBefore, 0, all, 0, interimBefore.length);
    System.arraycopy(input, 0, all, interimBefore.length, input.length);
    return c.hash(all);
  }

  /** interim_transcript_hash_[n] = Hash(confirmed_[n] || InterimTranscriptHashInput{confirmation_tag}). */
  public static byte[] interim(MlsCrypto c, byte[] confirmed, byte[] confirmationTag) {
    TlsWriter w = new TlsWriter(confirmed.length + confirmationTag.length + 4);
    w.raw(confirmed).opaque(confirmationTag);
    return c.hash(w.toByteArray());
  }
}
