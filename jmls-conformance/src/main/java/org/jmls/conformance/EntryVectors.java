package org.jmls.conformance;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.CryptoProvider;
import org.jmls.crypto.MlsCrypto;

/** A vector file whose top-level array holds one independent case per entry. */
abstract class EntryVectors implements VectorFile {
  private final String fileName;

  EntryVectors(String fileName) {
    this.fileName = fileName;
  }

  @Override
  public final String fileName() {
    return fileName;
  }

  /** The case name shown in reports, e.g. "suite 3 #2". */
  abstract String name(JsonObject entry, int index);

  abstract void check(JsonObject entry, VectorCase.Mismatches m) throws Exception;

  @Override
  public final List<VectorCase> cases(JsonArray entries) {
    List<VectorCase> out = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      JsonObject v = entries.get(i).getAsJsonObject();
      out.add(new VectorCase(fileName, name(v, i), m -> check(v, m)));
    }
    return out;
  }

  /** Entries that carry a {@code cipher_suite}: named by suite, checked with that suite's crypto. */
  abstract static class PerSuite extends EntryVectors {
    final CryptoProvider provider;

    PerSuite(String fileName, CryptoProvider provider) {
      super(fileName);
      this.provider = provider;
    }

    static int suiteOf(JsonObject v) {
      return (int) Json.num(v, "cipher_suite");
    }

    @Override
    String name(JsonObject v, int index) {
      return "suite " + suiteOf(v) + " #" + index;
    }

    @Override
    final void check(JsonObject v, VectorCase.Mismatches m) throws Exception {
      CipherSuite cs = CipherSuite.of(suiteOf(v));
      if (cs == null) {
        throw new IllegalArgumentException("unknown cipher suite " + suiteOf(v));
      }
      check(v, provider.suite(cs), m);
    }

    abstract void check(JsonObject v, MlsCrypto c, VectorCase.Mismatches m) throws Exception;
  }
}
