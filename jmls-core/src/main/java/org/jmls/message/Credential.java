package org.jmls.message;

import java.util.List;
import org.jmls.Bytes;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsEncodable;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;

/**
 * A Credential (RFC 9420 §5.3): basic (an identity), x509 (a DER certificate chain, leaf first), or
 * a type this library does not know, whose body is carried as {@code opaque data<V>} (the
 * convention other implementations use for registered types beyond the RFC's two).
 */
public sealed interface Credential extends TlsEncodable {
  int BASIC = 0x0001;
  int X509 = 0x0002;

  int credentialType();

  /** {@code opaque identity<V>}: unauthenticated unless the application checks it out of band. */
  record Basic(Bytes identity) implements Credential {
    @Override
    public int credentialType() {
      return BASIC;
    }

    @Override
    public void encode(TlsWriter w) {
      w.u16(BASIC).opaque(identity);
    }
  }

  /** {@code Certificate certificates<V>}, each {@code opaque cert_data<V>}, leaf first. */
  record X509(List<Bytes> certificates) implements Credential {
    public X509 {
      certificates = List.copyOf(certificates);
    }

    @Override
    public int credentialType() {
      return X509;
    }

    @Override
    public void encode(TlsWriter w) {
      w.u16(X509);
      int start = w.beginVector();
      for (Bytes c : certificates) {
        w.opaque(c);
      }
      w.endVector(start);
    }
  }

  /** A credential type other than basic and x509, carried through as opaque bytes. */
  record Unknown(int credentialType, Bytes data) implements Credential {
    @Override
    public void encode(TlsWriter w) {
      w.u16(credentialType).opaque(data);
    }
  }

  static Credential decode(TlsReader r) throws DecodeException {
    int type = r.u16();
    switch (type) {
      case BASIC:
        return new Basic(r.opaque());
      case X509:
        return new X509(r.vector(TlsReader::opaque));
      default:
        return new Unknown(type, r.opaque());
    }
  }
}
