package org.jmls.message;

import org.jmls.codec.TlsEncodable;

/** The body of a FramedContent (RFC 9420 §6): application data, a Proposal or a Commit. */
public sealed interface Content extends TlsEncodable permits ApplicationData, Proposal, Commit {
  ContentType contentType();
}
