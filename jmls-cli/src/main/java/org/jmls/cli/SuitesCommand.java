package org.jmls.cli;

import java.util.concurrent.Callable;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.SuiteAliases;
import picocli.CommandLine.Command;

/** Lists the cipher suites this process runs, with what each resists. */
@Command(name = "suites", description = {"List the cipher suites jmls runs here, with what each resists.",
    "The RFC's seven, the post-quantum draft's eleven, and other stacks' values enabled with JMLS_SUITE_ALIASES=openmls,ts-mls."})
final class SuitesCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.out.printf("%-7s %-56s %-16s %-7s %s%n", "value", "name", "KEM", "sig", "quantum-resistant");
    for (CipherSuite s : CipherSuite.all()) {
      String pq = s.hasPostQuantumSignatures() ? "confidentiality and authenticity"
          : s.isPostQuantum() ? "confidentiality" : "no";
      System.out.printf("0x%04X  %-56s %-16s %-7s %s%n", s.id(), s.name(), s.kem(), shortSig(s), pq);
    }
    System.out.println();
    System.out.println(SuiteAliases.enabled().isEmpty()
        ? "Aliases off. 0xF001-0xF00B stand for the draft's TBD1-TBD11 until IANA assigns values."
        : "Aliases on: " + SuiteAliases.enabled() + " (their values replace the draft's where they collide).");
    return 0;
  }

  private static String shortSig(CipherSuite s) {
    switch (s.signature()) {
      case ECDSA_SECP256R1_SHA256:
        return "P-256";
      case ECDSA_SECP384R1_SHA384:
        return "P-384";
      case ECDSA_SECP521R1_SHA512:
        return "P-521";
      default:
        return s.signature().name();
    }
  }
}
