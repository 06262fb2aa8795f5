package org.jmls;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * An immutable byte string: how every opaque value of RFC 9420 appears in the public API.
 *
 * <p>Equality is by content. {@link #toString()} prints hex, so never wrap secret material in this
 * type: secrets live in {@link org.jmls.crypto.Secret}.
 */
public final class Bytes implements Comparable<Bytes> {
  public static final Bytes EMPTY = new Bytes(new byte[0]);
  private static final HexFormat HEX = HexFormat.of();

  private final byte[] data;
  private int hash;

  private Bytes(byte[] data) {
    this.data = data;
  }

  /** A copy of {@code data}; later changes to the array do not show. */
  public static Bytes copyOf(byte[] data) {
    return data.length == 0 ? EMPTY : new Bytes(data.clone());
  }

  /**
   * Takes ownership of {@code data} without copying. The caller must never modify the array
   * afterwards; used by decoders and crypto code that just allocated the array.
   */
  public static Bytes wrap(byte[] data) {
    return data.length == 0 ? EMPTY : new Bytes(data);
  }

  /** Parses lowercase or uppercase hex. */
  public static Bytes fromHex(String hex) {
    return wrap(HEX.parseHex(hex));
  }

  public int length() {
    return data.length;
  }

  public boolean isEmpty() {
    return data.length == 0;
  }

  public byte get(int index) {
    return data[index];
  }

  /** A fresh copy of the content. */
  public byte[] toByteArray() {
    return data.clone();
  }

  /**
   * The backing array, not copied. Callers must treat it as read-only; meant for codec and crypto
   * internals on hot paths.
   */
  public byte[] unsafeArray() {
    return data;
  }

  public String hex() {
    return HEX.formatHex(data);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bytes && Arrays.equals(data, ((Bytes) o).data);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0 && data.length > 0) {
      h = Arrays.hashCode(data);
      hash = h;
    }
    return h;
  }

  @Override
  public int compareTo(Bytes o) {
    return Arrays.compareUnsigned(data, o.data);
  }

  @Override
  public String toString() {
    return data.length <= 64 ? hex() : HEX.formatHex(data, 0, 32) + "...(" + data.length + " bytes)";
  }
}
