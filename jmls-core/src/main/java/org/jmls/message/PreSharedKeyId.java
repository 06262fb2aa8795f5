package org.jmls.message;

import java.util.Objects;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * PreSharedKeyID (RFC 9420 §8.4). For {@link PskType#EXTERNAL} only {@link #pskId()} is set; for
 * {@link PskType#RESUMPTION} the usage, group id and epoch are set and pskId is null.
 */
public record PreSharedKeyId(
    PskType pskType,
    Bytes pskId,
    ResumptionPskUsage usage,
    Bytes pskGroupId,
    long pskEpoch,
    Bytes pskNonce)
    implements TlsEncodable {

  public PreSharedKeyId {
    Objects.requireNonNull(pskType, "pskType");
    Objects.requireNonNull(pskNonce, "pskNonce");
    if (pskType == PskType.EXTERNAL) {
      Objects.requireNonNull(pskId, "pskId");
    } else {
      Objects.requireNonNull(usage, "usage");
      Objects.requireNonNull(pskGroupId, "pskGroupId");
    }
  }

  public static PreSharedKeyId external(Bytes pskId, Bytes nonce) {
    return new PreSharedKeyId(PskType.EXTERNAL, pskId, null, null, 0, nonce);
  }

  public static PreSharedKeyId resumption(
      ResumptionPskUsage usage, Bytes groupId, long epoch, Bytes nonce) {
    return new PreSharedKeyId(PskType.RESUMPTION, null, usage, groupId, epoch, nonce);
  }

  public static PreSharedKeyId decode(TlsReader r) throws DecodeException {
    PskType type = PskType.decode(r);
    if (type == PskType.EXTERNAL) {
      return external(r.opaque(), r.opaque());
    }
    ResumptionPskUsage usage = ResumptionPskUsage.decode(r);
    Bytes groupId = r.opaque();
    long epoch = r.u64();
    return resumption(usage, groupId, epoch, r.opaque());
  }

  @Override
  public void encode(TlsWriter w) {
    pskType.encode(w);
    if (pskType == PskType.EXTERNAL) {
      w.opaque(pskId);
    } else {
      usage.encode(w);
      w.opaque(pskGroupId).u64(pskEpoch);
    }
    w.opaque(pskNonce);
  }
}
