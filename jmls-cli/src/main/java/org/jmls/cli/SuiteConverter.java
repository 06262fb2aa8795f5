package org.jmls.cli;

import java.util.Locale;
import org.jmls.crypto.CipherSuite;
import picocli.CommandLine;

/**
 * {@code --suite} as a number (1, 0xF001, 61441) or a name (MLS_128_MLKEM768X25519_AES128GCM_SHA256_Ed25519),
 * among the suites this process runs: the RFC's seven, the PQ draft's eleven, and the aliases the
 * operator enabled with {@code JMLS_SUITE_ALIASES}.
 */
final class SuiteConverter implements CommandLine.ITypeConverter<CipherSuite> {
  static final String HELP = "Cipher suite: 1-7 (RFC 9420), 0xF001-0xF00B (post-quantum, draft-ietf-mls-pq-ciphersuites),"
      + " or a suite name; 'jmls suites' lists them (default ${DEFAULT-VALUE}).";

  @Override
  public CipherSuite convert(String value) {
    String v = value.trim();
    CipherSuite s = null;
    try {
      int id = v.toLowerCase(Locale.ROOT).startsWith("0x") ? Integer.parseInt(v.substring(2), 16) : Integer.parseInt(v);
      s = CipherSuite.of(id);
    } catch (NumberFormatException notNumber) {
      for (CipherSuite c : CipherSuite.all()) {
        if (c.name().equalsIgnoreCase(v)) {
          s = c;
        }
      }
    }
    if (s == null) {
      throw new CommandLine.TypeConversionException("'" + value + "' is not a cipher suite jmls runs here; 'jmls suites' lists them"
          + " (other stacks' values need JMLS_SUITE_ALIASES=openmls or ts-mls)");
    }
    return s;
  }

  /** A suite's registry value, decimal or 0x-hex, whether or not this process runs it (interop peers may). */
  static final class Id implements CommandLine.ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      try {
        int id = Integer.decode(value.trim());
        if (id < 0 || id > 0xFFFF) {
          throw new NumberFormatException();
        }
        return id;
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a cipher suite value (0-65535, decimal or 0x-hex)");
      }
    }
  }
}
