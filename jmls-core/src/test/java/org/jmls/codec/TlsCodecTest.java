package org.jmls.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.List;
import org.jmls.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TlsCodecTest {
  private static byte[] hex(String s) {
    return HexFormat.of().parseHex(s);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 63, 64, 255, 16383, 16384, 1 << 20})
  void opaque_roundTripsWithMinimalHeader(int n) throws Exception {
    byte[] body = new byte[n];
    if (n > 0) {
      body[n - 1] = 7;
    }
    byte[] enc = new TlsWriter().opaque(body).toByteArray();
    assertEquals(TlsWriter.headerSize(n) + n, enc.length);
    assertEquals(Bytes.wrap(body), TlsReader.decode(enc, TlsReader::opaque, Integer.MAX_VALUE));
  }

  @ParameterizedTest
  @ValueSource(strings = {"4000", "403f", "80000000", "80003fff"})
  void vlen_nonMinimalHeader_rejected(String header) {
    DecodeException e = assertThrows(DecodeException.class, () -> new TlsReader(hex(header + "00".repeat(20000))).vlen());
    assertTrue(e.reason().contains("non-minimal"), e.reason());
    assertEquals(0, e.offset());
  }

  @Test
  void vlen_prefix11_rejected() {
    DecodeException e = assertThrows(DecodeException.class, () -> new TlsReader(hex("c0000000")).vlen());
    assertTrue(e.reason().contains("0b11"));
  }

  @Test
  void vlen_lengthBeyondInput_rejectedBeforeAllocation() {
    // Claims 2^30-1 bytes with 3 present: must fail without allocating a gigabyte.
    DecodeException e = assertThrows(DecodeException.class, () -> new TlsReader(hex("bfffffff010203")).opaque());
    assertTrue(e.reason().contains("exceeds"), e.reason());
  }

  @Test
  void decode_trailingBytes_rejectedWithOffset() {
    DecodeException e = assertThrows(DecodeException.class, () -> TlsReader.decode(hex("0161ff"), TlsReader::opaque));
    assertEquals(2, e.offset());
    assertTrue(e.reason().contains("trailing"));
  }

  @Test
  void decode_overMaxSize_rejected() {
    assertThrows(DecodeException.class, () -> TlsReader.decode(new byte[11], r -> r.fixed(11), 10));
  }

  @Test
  void optional_presenceByteOtherThanZeroOrOne_rejected() throws Exception {
    assertNull(TlsReader.decode(hex("00"), r -> r.optional(TlsReader::u8)));
    assertEquals(Integer.valueOf(5), TlsReader.<Integer>decode(hex("0105"), r -> r.optional(TlsReader::u8)));
    assertThrows(DecodeException.class, () -> TlsReader.decode(hex("0205"), r -> r.optional(TlsReader::u8)));
  }

  @Test
  void vector_elementOverrunningItsVector_rejected() {
    // Vector of 3 bytes holding uint16 elements: the second element crosses the vector's end.
    assertThrows(DecodeException.class, () -> TlsReader.decode(hex("03000100"), TlsReader::u16Vector));
  }

  @Test
  void vector_ofUint16_roundTrips() throws Exception {
    List<Integer> v = TlsReader.decode(hex("060001000a0a0a"), TlsReader::u16Vector);
    assertEquals(List.of(1, 0x0a, 0x0a0a), v);
  }

  @Test
  void integers_areBigEndianAndUnsigned() throws Exception {
    byte[] enc = new TlsWriter().u8(0xff).u16(0xfffe).u32(0xfffffffd).u64(-2L).toByteArray();
    assertArrayEquals(hex("fffffefffffffdfffffffffffffffe"), enc);
    TlsReader r = new TlsReader(enc);
    assertEquals(255, r.u8());
    assertEquals(0xfffe, r.u16());
    assertEquals(0xfffffffdL, Integer.toUnsignedLong(r.u32()));
    assertEquals(-2L, r.u64());
    r.finish();
  }

  @Test
  void nestedVectors_getMinimalHeadersAtEveryLevel() {
    TlsWriter w = new TlsWriter(16);
    int outer = w.beginVector();
    w.opaque(new byte[100]);
    w.endVector(outer);
    // inner: 2-byte header + 100; outer length 102 -> 2-byte header 0x4066.
    byte[] enc = w.toByteArray();
    assertEquals(104, enc.length);
    assertEquals((byte) 0x40, enc[0]);
    assertEquals((byte) 0x66, enc[1]);
    assertEquals((byte) 0x40, enc[2]);
    assertEquals((byte) 0x64, enc[3]);
  }
}
