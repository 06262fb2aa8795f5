package org.jmls.client;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.codec.TlsWriter;
import org.jmls.message.Extension;
import org.jmls.message.GroupContext;

/**
 * A group's name, agreed by all members because it lives in the GroupContext (application
 * extension {@value #EXTENSION_TYPE}, {@code opaque name<V>} in UTF-8): it reaches joiners in the
 * Welcome's GroupInfo and changes only by a commit (a GroupContextExtensions proposal), so every
 * member's devices call the group the same. Names are 1 to {@value #MAX_BYTES} bytes of UTF-8
 * without control characters and without surrounding spaces. Names are not unique: a device that is
 * in two groups of one name tells them apart by group id.
 */
public final class GroupName {
  private GroupName() {}

  /** The GroupContext extension type carrying the name (private-use range, beside {@link GroupPolicy#EXTENSION_TYPE}). */
  public static final int EXTENSION_TYPE = 0xF0A1;

  public static final int MAX_BYTES = 128;

  /** Throws unless {@code name} is a valid group name; the reason names the rule broken. */
  public static String check(String name) throws ValidationException {
    if (name == null || name.isEmpty()) {
      throw new ValidationException("group-name.empty", "a group name cannot be empty");
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw new ValidationException("group-name.length", "a group name is at most " + MAX_BYTES + " bytes of UTF-8");
    }
    if (!name.strip().equals(name)) {
      throw new ValidationException("group-name.spaces", "a group name cannot start or end with spaces");
    }
    if (name.codePoints().anyMatch(cp -> Character.isISOControl(cp) || cp == 0x2028 || cp == 0x2029)) {
      throw new ValidationException("group-name.control", "a group name cannot hold control characters or line breaks");
    }
    return name;
  }

  public static Extension toExtension(String name) throws ValidationException {
    check(name);
    return new Extension(EXTENSION_TYPE, Bytes.wrap(new TlsWriter().opaque(name.getBytes(StandardCharsets.UTF_8)).toByteArray()));
  }

  /** {@code extensions} without the group-name extension, the others in their order. */
  static List<Extension> without(List<Extension> extensions) {
    return extensions.stream().filter(e -> e.extensionType() != EXTENSION_TYPE).toList();
  }

  /** The name carried in {@code context}, or null when the group has none. */
  public static String of(GroupContext context) throws ValidationException {
    return of(Extension.find(context.extensions(), EXTENSION_TYPE));
  }

  /** The name in a group-name extension (null for null); refuses one that does not decode or is not a valid name. */
  static String of(Extension e) throws ValidationException {
    if (e == null) {
      return null;
    }
    byte[] raw;
    try {
      raw = TlsReader.decode(e.extensionData().unsafeArray(), r -> r.opaque()).toByteArray();
    } catch (DecodeException ex) {
      throw new ValidationException("group-name.decode", "the group's name extension does not decode");
    }
    String name;
    try {
      name = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
    } catch (CharacterCodingException ex) {
      throw new ValidationException("group-name.utf8", "the group's name is not valid UTF-8");
    }
    return check(name);
  }
}
