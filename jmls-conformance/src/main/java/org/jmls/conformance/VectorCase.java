package org.jmls.conformance;

import java.util.ArrayList;
import java.util.List;

/** One entry of a vector file: a name ("suite 3 #2") and a check that lists every mismatch. */
public final class VectorCase {
  /** The body of a check; it records mismatches in {@code m} rather than stopping at the first. */
  @FunctionalInterface
  public interface Check {
    void run(Mismatches m) throws Exception;
  }

  private final String file;
  private final String name;
  private final Check check;

  public VectorCase(String file, String name, Check check) {
    this.file = file;
    this.name = name;
    this.check = check;
  }

  public String file() {
    return file;
  }

  public String name() {
    return name;
  }

  /** Runs the check; an exception counts as one more mismatch. Empty means passed. */
  public List<String> run() {
    Mismatches m = new Mismatches();
    try {
      check.run(m);
    } catch (Exception | AssertionError e) {
      m.add("threw " + e);
    }
    return m.list();
  }

  @Override
  public String toString() {
    return name;
  }

  /** Collected differences between expected and actual values. */
  public static final class Mismatches {
    private final List<String> list = new ArrayList<>();

    public void add(String what) {
      list.add(what);
    }

    /** Records a mismatch unless {@code expected} equals {@code actual}. */
    public void expect(String what, Object expected, Object actual) {
      if (expected == null ? actual != null : !expected.equals(actual)) {
        list.add(what + ": expected " + expected + ", got " + actual);
      }
    }

    public void expectTrue(String what, boolean ok) {
      if (!ok) {
        list.add(what);
      }
    }

    public List<String> list() {
      return List.copyOf(list);
    }
  }
}
