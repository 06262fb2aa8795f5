package org.jmls.crypto;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The code-point alias table: which other stacks' private suite values this process accepts.
 * By default none, so only the RFC's values and the PQ draft's are offered and recognised. An
 * operator enables an alias with the system property {@code jmls.suite-aliases} (or the
 * environment variable {@code JMLS_SUITE_ALIASES}), a comma-separated list of {@code openmls} and
 * {@code ts-mls}, or in code with {@link #enable}. ts-mls's values 0xF007–0xF00B collide with
 * jmls's provisional values for the draft's TBD7–TBD11: with ts-mls enabled those values mean
 * ts-mls's suites, and the draft's five are unreachable until IANA assigns their real values.
 */
public final class SuiteAliases {
  /** A stack whose values can be enabled. */
  public enum Alias {
    OPENMLS("openmls"),
    TS_MLS("ts-mls");

    private final String flag;

    Alias(String flag) {
      this.flag = flag;
    }

    public String flag() {
      return flag;
    }

    /** The alias named {@code flag}, or null. */
    public static Alias parse(String flag) {
      for (Alias a : values()) {
        if (a.flag.equals(flag.trim().toLowerCase(Locale.ROOT))) {
          return a;
        }
      }
      return null;
    }
  }

  /** What is wrong with the setting, or null; an unknown name is left out, never guessed. */
  private static volatile String settingProblem;
  private static volatile Set<Alias> enabled = fromSetting();
  private static volatile CipherSuite[] table = build(enabled);

  private SuiteAliases() {}

  private static Set<Alias> fromSetting() {
    String v = System.getProperty("jmls.suite-aliases", System.getenv("JMLS_SUITE_ALIASES"));
    EnumSet<Alias> out = EnumSet.noneOf(Alias.class);
    if (v != null) {
      for (String part : v.split(",")) {
        Alias a = part.isBlank() ? null : Alias.parse(part);
        if (a == null && !part.isBlank()) {
          settingProblem = "JMLS_SUITE_ALIASES (or -Djmls.suite-aliases) names an unknown alias '" + part.trim()
              + "'; known: openmls, ts-mls";
        }
        if (a != null) {
          out.add(a);
        }
      }
    }
    return out;
  }

  /**
   * Why the operator's alias setting is wrong (an unknown name, which is ignored), or null. Checked
   * by the command line at start, so a typo stops the command instead of silently leaving an alias off.
   */
  public static String settingProblem() {
    return settingProblem;
  }

  private static CipherSuite[] build(Set<Alias> on) {
    CipherSuite[] t = new CipherSuite[0x10000];
    for (CipherSuite s : CipherSuite.values()) {
      if (s.alias() == null && t[s.id()] == null) {
        t[s.id()] = s;
      }
    }
    for (CipherSuite s : CipherSuite.values()) {
      if (s.alias() != null && on.contains(s.alias())) {
        t[s.id()] = s;
      }
    }
    return t;
  }

  static CipherSuite lookup(int id) {
    return id >= 0 && id < 0x10000 ? table[id] : null;
  }

  /** The aliases enabled in this process. */
  public static Set<Alias> enabled() {
    return Collections.unmodifiableSet(enabled);
  }

  /** Replaces the enabled aliases (for embedders that configure in code, and for tests). */
  public static synchronized void enable(Set<Alias> aliases) {
    EnumSet<Alias> copy = aliases.isEmpty() ? EnumSet.noneOf(Alias.class) : EnumSet.copyOf(aliases);
    table = build(copy);
    enabled = copy;
  }
}
