package org.jmls.codec;

/** Reads one value of type {@code T} from a reader (TLS presentation language, RFC 8446 §3). */
@FunctionalInterface
public interface TlsDecoder<T> {
  T decode(TlsReader reader) throws DecodeException;
}
