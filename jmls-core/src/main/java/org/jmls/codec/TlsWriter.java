package org.jmls.codec;

import java.util.Arrays;
import java.util.List;
import org.jmls.Bytes;

/**
 * Appends values in the TLS presentation language (RFC 9420 §2.1). Vector headers are always the
 * minimal size of §2.1.2: the body is written first and the header inserted in front of it once the
 * length is known.
 */
public final class TlsWriter {
  /** Largest length a variable-length header can carry: 2^30 - 1. */
  public static final int MAX_VECTOR_LENGTH = (1 << 30) - 1;

  private byte[] buf;
  private int len;

  public TlsWriter() {
    this(256);
  }

  public TlsWriter(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  private void ensure(int extra) {
    if (len + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
    }
  }

  public int size() {
    return len;
  }

  public byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }

  public TlsWriter u8(int v) {
    ensure(1);
    buf[len++] = (byte) v;
    return this;
  }

  public TlsWriter u16(int v) {
    ensure(2);
    buf[len++] = (byte) (v >>> 8);
    buf[len++] = (byte) v;
    return this;
  }

  public TlsWriter u32(int v) {
    ensure(4);
    buf[len++] = (byte) (v >>> 24);
    buf[len++] = (byte) (v >>> 16);
    buf[len++] = (byte) (v >>> 8);
    buf[len++] = (byte) v;
    return this;
  }

  public TlsWriter u64(long v) {
    ensure(8);
    for (int i = 56; i >= 0; i -= 8) {
      buf[len++] = (byte) (v >>> i);
    }
    return this;
  }

  /** Raw bytes with no header (fixed-length fields, or pre-encoded structs). */
  public TlsWriter raw(byte[] b) {
    return raw(b, 0, b.length);
  }

  public TlsWriter raw(byte[] b, int off, int n) {
    ensure(n);
    System.arraycopy(b, off, buf, len, n);
    len += n;
    return this;
  }

  /** Size in bytes of the minimal header for {@code n}. */
  public static int headerSize(int n) {
    if (n < 0 || n > MAX_VECTOR_LENGTH) {
      throw new IllegalArgumentException("vector length " + n + " out of range");
    }
    return n < 64 ? 1 : n < 16384 ? 2 : 4;
  }

  /** Writes a minimal variable-length header for {@code n}. */
  public TlsWriter vlen(int n) {
    int h = headerSize(n);
    ensure(h);
    writeHeader(len, n, h);
    len += h;
    return this;
  }

  private void writeHeader(int at, int n, int h) {
    if (h == 1) {
      buf[at] = (byte) n;
    } else if (h == 2) {
      buf[at] = (byte) (0x40 | (n >>> 8));
      buf[at + 1] = (byte) n;
    } else {
      buf[at] = (byte) (0x80 | (n >>> 24));
      buf[at + 1] = (byte) (n >>> 16);
      buf[at + 2] = (byte) (n >>> 8);
      buf[at + 3] = (byte) n;
    }
  }

  /** {@code opaque field<V>}. */
  public TlsWriter opaque(byte[] b) {
    vlen(b.length);
    return raw(b);
  }

  public TlsWriter opaque(Bytes b) {
    return opaque(b.unsafeArray());
  }

  /** Marks the start of a length-prefixed body; close it with {@link #endVector(int)}. */
  public int beginVector() {
    return len;
  }

  /** Inserts the minimal header in front of the body written since {@code start}. */
  public TlsWriter endVector(int start) {
    int n = len - start;
    int h = headerSize(n);
    ensure(h);
    System.arraycopy(buf, start, buf, start + h, n);
    writeHeader(start, n, h);
    len += h;
    return this;
  }

  /** {@code T field<V>} for encodable elements. */
  public TlsWriter vector(List<? extends TlsEncodable> items) {
    int start = beginVector();
    for (TlsEncodable item : items) {
      item.encode(this);
    }
    return endVector(start);
  }

  /** {@code uint16 field<V>}. */
  public TlsWriter u16Vector(List<Integer> items) {
    int start = beginVector();
    for (int v : items) {
      u16(v);
    }
    return endVector(start);
  }

  /** {@code uint32 field<V>}. */
  public TlsWriter u32Vector(List<Integer> items) {
    int start = beginVector();
    for (int v : items) {
      u32(v);
    }
    return endVector(start);
  }

  /** {@code optional<T>}. */
  public TlsWriter optional(TlsEncodable value) {
    if (value == null) {
      return u8(0);
    }
    u8(1);
    value.encode(this);
    return this;
  }
}
