package org.jmls.ds.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;
import org.jmls.message.MlsMessage;

/**
 * The body of {@code POST /ds/groups/commit} as one binary object (media type {@value #MEDIA_TYPE}):
 * MLS messages as they are on the wire, not base64 inside JSON, and the few metadata as JSON.
 *
 * <pre>
 * struct {
 *   MLSMessage commit;
 *   MLSMessage group_info;          // without the tree in public-handshake groups
 *   optional&lt;MLSMessage&gt; welcome;   // uint8 0 or 1, then the message
 *   opaque metadata&lt;V&gt;;            // UTF-8 JSON object: {"added": [device...], "removed": [device...]}, or empty
 *   opaque tree_changes&lt;V&gt;;        // encrypted-handshake groups: the TreeChanges of this commit, or empty
 * } CommitBundle;
 * </pre>
 *
 * For example a commit that adds nobody, in a public-handshake group: the commit's bytes, the
 * GroupInfo's bytes, {@code 00} (no Welcome), {@code 00} (empty metadata), {@code 00} (no tree
 * changes: the DS derives them from the commit).
 */
public record CommitBundle(MlsMessage commit, MlsMessage groupInfo, MlsMessage welcome, List<String> added, List<String> removed,
    org.jmls.ds.TreeChanges treeChanges) {
  /** The media type of a commit bundle. */
  public static final String MEDIA_TYPE = "application/vnd.jmls.commit-bundle";
  /**
   * Largest accepted bundle. A commit adding 99,999 members carries their KeyPackages by value
   * (about 62 MB with X.509 credentials) and its Welcome about 12 MB.
   */
  public static final int MAX_SIZE = 128 << 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A bundle without tree changes (public-handshake groups). */
  public CommitBundle(MlsMessage commit, MlsMessage groupInfo, MlsMessage welcome, List<String> added, List<String> removed) {
    this(commit, groupInfo, welcome, added, removed, null);
  }

  public CommitBundle {
    added = added == null ? List.of() : List.copyOf(added);
    removed = removed == null ? List.of() : List.copyOf(removed);
  }

  public byte[] toByteArray() {
    TlsWriter w = new TlsWriter();
    w.raw(commit.toByteArray()).raw(groupInfo.toByteArray());
    if (welcome == null) {
      w.u8(0);
    } else {
      w.u8(1).raw(welcome.toByteArray());
    }
    byte[] meta;
    try {
      meta = added.isEmpty() && removed.isEmpty() ? new byte[0] : JSON.writeValueAsBytes(Map.of("added", added, "removed", removed));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    w.opaque(meta);
    w.opaque(treeChanges == null ? new byte[0] : treeChanges.toByteArray());
    return w.toByteArray();
  }

  /** Decodes a bundle: a value or a {@link DecodeException} naming what is wrong, nothing else. */
  public static CommitBundle fromBytes(byte[] body) throws DecodeException {
    return TlsReader.decode(body, r -> {
      MlsMessage commit = MlsMessage.decode(r);
      MlsMessage gi = MlsMessage.decode(r);
      int present = r.u8();
      if (present > 1) {
        throw new DecodeException(0, "the welcome presence byte is " + present);
      }
      MlsMessage welcome = present == 1 ? MlsMessage.decode(r) : null;
      byte[] meta = r.opaque().toByteArray();
      List<String> added = new ArrayList<>();
      List<String> removed = new ArrayList<>();
      if (meta.length > 0) {
        Map<?, ?> m;
        try {
          m = JSON.readValue(meta, Map.class);
        } catch (IOException | RuntimeException e) {
          throw new DecodeException(0, "the metadata is not a JSON object");
        }
        strings(m.get("added"), added);
        strings(m.get("removed"), removed);
      }
      byte[] changes = r.opaque().toByteArray();
      return new CommitBundle(commit, gi, welcome, added, removed,
          changes.length == 0 ? null : org.jmls.ds.TreeChanges.fromBytes(changes));
    }, MAX_SIZE);
  }

  private static void strings(Object o, List<String> out) throws DecodeException {
    if (o == null) {
      return;
    }
    if (!(o instanceof List<?> l)) {
      throw new DecodeException(0, "metadata lists are lists of device ids");
    }
    for (Object x : l) {
      if (!(x instanceof String s)) {
        throw new DecodeException(0, "metadata lists are lists of device ids");
      }
      out.add(s);
    }
  }
}
