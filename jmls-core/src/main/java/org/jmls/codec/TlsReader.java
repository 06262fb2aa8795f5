package org.jmls.codec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jmls.Bytes;

/**
 * A bounded, strict reader of the TLS presentation language as MLS uses it (RFC 9420 §2.1).
 *
 * <p>Every read is checked against the bytes that remain inside the current bound (the whole input,
 * or the body of the vector being read), so no read or allocation can exceed the input. Variable
 * length headers must be minimal (§2.1.2), optional presence bytes must be 0 or 1, and {@link
 * #finish()} rejects trailing bytes. Every failure is a {@link DecodeException} carrying the offset
 * into the top-level input.
 *
 * <p>Worked example: the bytes {@code 40 05 68 65 6c 6c 6f} read by {@link #opaque()} are a 2-byte
 * header ({@code 0x40} has prefix {@code 01}, length {@code 0x0005}) followed by "hello"; the
 * 1-byte header {@code 05} would have been required instead, so this input is rejected as
 * non-minimal.
 */
public final class TlsReader {
  /** Default largest input accepted by {@link #decode(byte[], TlsDecoder)}: 16 MiB. */
  public static final int DEFAULT_MAX_MESSAGE_SIZE = 16 << 20;

  private final byte[] buf;
  private int pos;
  private int limit;

  public TlsReader(byte[] buf) {
    this(buf, 0, buf.length);
  }

  public TlsReader(byte[] buf, int offset, int length) {
    if (offset < 0 || length < 0 || offset + length > buf.length || offset + length < 0) {
      throw new IllegalArgumentException("bad range");
    }
    this.buf = buf;
    this.pos = offset;
    this.limit = offset + length;
  }

  /** Decodes exactly one value spanning all of {@code input}, up to the default size limit. */
  public static <T> T decode(byte[] input, TlsDecoder<T> decoder) throws DecodeException {
    return decode(input, decoder, DEFAULT_MAX_MESSAGE_SIZE);
  }

  /**
   * Decodes exactly one value spanning all of {@code input}. Inputs longer than {@code maxSize}
   * are refused before any parsing. This is the boundary for untrusted bytes: it returns a value
   * or throws {@link DecodeException}, nothing else.
   */
  public static <T> T decode(byte[] input, TlsDecoder<T> decoder, int maxSize)
      throws DecodeException {
    if (input.length > maxSize) {
      throw new DecodeException(0, "input of " + input.length + " bytes exceeds the limit of " + maxSize);
    }
    TlsReader r = new TlsReader(input);
    T value;
    try {
      value = decoder.decode(r);
    } catch (RuntimeException e) {
      // Defence in depth: a decoder bug must not become an unchecked failure at the boundary.
      throw new DecodeException(r.pos, "internal: " + e);
    }
    r.finish();
    return value;
  }

  /** Offset of the next byte to read, from the start of the top-level input. */
  public int offset() {
    return pos;
  }

  /** Bytes left inside the current bound. */
  public int remaining() {
    return limit - pos;
  }

  /** Fails unless every byte inside the current bound was consumed. */
  public void finish() throws DecodeException {
    if (pos != limit) {
      throw error((limit - pos) + " trailing bytes");
    }
  }

  public DecodeException error(String reason) {
    return new DecodeException(pos, reason);
  }

  private void need(int n, String what) throws DecodeException {
    if (n > limit - pos) {
      throw error("truncated: " + what + " needs " + n + " bytes, " + (limit - pos) + " left");
    }
  }

  public int u8() throws DecodeException {
    need(1, "uint8");
    return buf[pos++] & 0xff;
  }

  public int u16() throws DecodeException {
    need(2, "uint16");
    int v = ((buf[pos] & 0xff) << 8) | (buf[pos + 1] & 0xff);
    pos += 2;
    return v;
  }

  /** A uint32, returned as the int with the same bits (use {@link Integer#toUnsignedLong}). */
  public int u32() throws DecodeException {
    need(4, "uint32");
    int v =
        ((buf[pos] & 0xff) << 24)
            | ((buf[pos + 1] & 0xff) << 16)
            | ((buf[pos + 2] & 0xff) << 8)
            | (buf[pos + 3] & 0xff);
    pos += 4;
    return v;
  }

  /** A uint64, returned as the long with the same bits. */
  public long u64() throws DecodeException {
    need(8, "uint64");
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (buf[pos + i] & 0xff);
    }
    pos += 8;
    return v;
  }

  /** A fixed-length byte array, e.g. {@code opaque reuse_guard[4]}. */
  public byte[] fixed(int n) throws DecodeException {
    need(n, "fixed-length field");
    byte[] out = new byte[n];
    System.arraycopy(buf, pos, out, 0, n);
    pos += n;
    return out;
  }

  /**
   * The variable-length header of §2.1.2: the top two bits of the first byte give the header size
   * (00: 1 byte, 01: 2, 10: 4; 11 is invalid), the rest is the length. The smallest header that
   * fits the length is required. The length must fit in the remaining input.
   */
  public int vlen() throws DecodeException {
    int start = pos;
    int first = u8();
    int prefix = first >>> 6;
    long len;
    switch (prefix) {
      case 0:
        len = first & 0x3f;
        break;
      case 1:
        need(1, "2-byte length header");
        len = ((first & 0x3f) << 8) | (buf[pos++] & 0xff);
        if (len < 64) {
          throw new DecodeException(start, "non-minimal length header for " + len);
        }
        break;
      case 2:
        need(3, "4-byte length header");
        len = ((long) (first & 0x3f) << 24)
            | ((buf[pos] & 0xff) << 16)
            | ((buf[pos + 1] & 0xff) << 8)
            | (buf[pos + 2] & 0xff);
        pos += 3;
        if (len < 16384) {
          throw new DecodeException(start, "non-minimal length header for " + len);
        }
        break;
      default:
        throw new DecodeException(start, "invalid length header prefix 0b11");
    }
    if (len > limit - pos) {
      throw new DecodeException(
          start, "vector length " + len + " exceeds the " + (limit - pos) + " bytes left");
    }
    return (int) len;
  }

  /** {@code opaque field<V>}. */
  public Bytes opaque() throws DecodeException {
    int n = vlen();
    byte[] out = new byte[n];
    System.arraycopy(buf, pos, out, 0, n);
    pos += n;
    return Bytes.wrap(out);
  }

  /** {@code T field<V>}: a length-prefixed run of elements that must fill the length exactly. */
  public <T> List<T> vector(TlsDecoder<T> element) throws DecodeException {
    int n = vlen();
    if (n == 0) {
      return Collections.emptyList();
    }
    int outer = limit;
    int end = pos + n;
    limit = end;
    List<T> out = new ArrayList<>();
    while (pos < end) {
      int before = pos;
      out.add(element.decode(this));
      if (pos == before) {
        throw error("vector element of zero length");
      }
    }
    limit = outer;
    return Collections.unmodifiableList(out);
  }

  /** Reads one length-prefixed body with {@code body}, which must consume it exactly. */
  public <T> T nested(TlsDecoder<T> body) throws DecodeException {
    int n = vlen();
    int outer = limit;
    limit = pos + n;
    T v = body.decode(this);
    finish();
    limit = outer;
    return v;
  }

  /** {@code optional<T>}: a presence byte (0 or 1) followed by the value when present. */
  public <T> T optional(TlsDecoder<T> value) throws DecodeException {
    int start = pos;
    int present = u8();
    if (present == 0) {
      return null;
    }
    if (present != 1) {
      throw new DecodeException(start, "optional presence byte " + present + " is neither 0 nor 1");
    }
    return value.decode(this);
  }

  /** {@code uint16 field<V>}. */
  public List<Integer> u16Vector() throws DecodeException {
    return vector(TlsReader::u16);
  }
}
