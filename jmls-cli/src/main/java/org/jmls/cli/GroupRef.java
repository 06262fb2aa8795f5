package org.jmls.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jmls.Bytes;
import org.jmls.client.ClientStore;
import org.jmls.client.MlsClient;

/**
 * How a person names a group on the command line: by the name its members agreed (GroupName), by
 * its id in hex, or by the first 8 or more hex digits of the id. A name that two groups on this
 * device share is refused with the candidates listed. Groups made by earlier versions without an
 * agreed name keep the local name they were created under.
 */
final class GroupRef {
  private final MlsClient client;
  private final Map<Bytes, String> names = new LinkedHashMap<>();

  GroupRef(MlsClient client, ClientStore store) throws Exception {
    this.client = client;
    Map<Bytes, String> legacy = new LinkedHashMap<>();
    for (String alias : store.names("alias/")) {
      legacy.put(Bytes.wrap(store.get(alias)), alias.substring("alias/".length()));
    }
    for (Bytes gid : client.groups()) {
      String agreed = client.groupName(gid);
      String name = agreed != null ? agreed : legacy.get(gid);
      if (name != null) {
        names.put(gid, name);
      }
    }
  }

  /** The groups on this device called {@code name}. */
  List<Bytes> named(String name) {
    List<Bytes> out = new ArrayList<>();
    names.forEach((gid, n) -> {
      if (n.equals(name)) {
        out.add(gid);
      }
    });
    return out;
  }

  /** Refuses {@code name} when a group on this device other than {@code except} (may be null) already has it. */
  void requireUnused(String name, Bytes except) {
    for (Bytes other : named(name)) {
      if (!other.equals(except)) {
        throw new ClientOptions.CommandException("this device is already in " + (except == null ? "a" : "another") + " group named '"
            + name + "' (" + other.hex() + "); choose another name" + (except == null
            ? ", or rename that group with 'jmls group rename " + name + " NEW-NAME'" : ""));
      }
    }
  }

  /** The one group {@code ref} designates on this device, or a refusal that says why and what to type instead. */
  Bytes resolve(String ref) throws Exception {
    Set<Bytes> found = new LinkedHashSet<>(named(ref));
    String hex = ref.toLowerCase(Locale.ROOT);
    if (hex.length() >= 8 && hex.matches("[0-9a-f]+")) {
      for (Bytes gid : client.groups()) {
        if (gid.hex().startsWith(hex)) {
          found.add(gid);
        }
      }
    }
    if (found.size() == 1) {
      return found.iterator().next();
    }
    if (found.isEmpty()) {
      throw new ClientOptions.CommandException("no group named '" + ref + "' or with that id on this device ('jmls groups' lists them;"
          + " 'jmls read' joins groups you were added to)");
    }
    StringBuilder sb = new StringBuilder("'" + ref + "' could be " + found.size() + " groups on this device; name one by its id:");
    for (Bytes gid : found) {
      sb.append("\n  ").append(gid.hex()).append("  ").append(names.getOrDefault(gid, "(no name)")).append(", ")
          .append(client.members(gid).size()).append(" members, epoch ").append(client.epoch(gid));
    }
    throw new ClientOptions.CommandException(sb.toString());
  }

  /** How output shows a group: its name, with the start of its id when the name is shared here, or its id when it has none. */
  String label(Bytes gid) {
    String name = names.get(gid);
    if (name == null) {
      return gid.hex();
    }
    return named(name).size() > 1 ? name + " (" + gid.hex().substring(0, 8) + ")" : name;
  }

  /** The group's name, or null. */
  String name(Bytes gid) {
    return names.get(gid);
  }

  /** Takes a group's current name into account (after a create, join or rename). */
  void refresh(Bytes gid) throws Exception {
    if (client.inGroup(gid) && client.groupName(gid) != null) {
      names.put(gid, client.groupName(gid));
    }
  }
}
