package org.jmls.conformance;

import com.google.gson.JsonArray;
import java.util.List;

/** The runner for one kind of official vector file. */
public interface VectorFile {
  /** The file name in the working group's test-vectors folder, e.g. {@code tree-math.json}. */
  String fileName();

  /** One case per entry of the file's top-level array. */
  List<VectorCase> cases(JsonArray entries);
}
