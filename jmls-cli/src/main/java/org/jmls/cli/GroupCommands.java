package org.jmls.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jmls.Bytes;
import org.jmls.client.GroupName;
import org.jmls.client.GroupPolicy;
import org.jmls.client.MlsClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jmls group create|add|remove|rename|leave}, {@code jmls groups} and {@code jmls members}.
 * GROUP is a group's agreed name or its id (or the id's first 8+ hex digits), see {@link GroupRef}.
 */
@Command(name = "group", mixinStandardHelpOptions = true, description = "Create groups, change their members, rename or leave them.",
    subcommands = {GroupCommands.Create.class, GroupCommands.Add.class, GroupCommands.Remove.class, GroupCommands.Rename.class,
        GroupCommands.Leave.class})
final class GroupCommands implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  /** The output fields every group command shares. */
  static Map<String, Object> fields(GroupRef refs, Bytes gid) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("group", refs.name(gid));
    m.put("groupId", gid.hex());
    return m;
  }

  /** A command on one group this device is in, named by GROUP; prints one result in words or as JSON. */
  abstract static class OnGroup implements Callable<Integer> {
    @Mixin ClientOptions common;

    @Parameters(index = "0", paramLabel = "GROUP", description = "The group's name or id.")
    String group;

    /** Acts on group {@code gid}; adds its result to {@code out} and returns it in words. */
    abstract String act(MlsClient c, GroupRef refs, Bytes gid, Map<String, Object> out) throws Exception;

    @Override
    public Integer call() {
      return common.withClient((c, store) -> {
        GroupRef refs = new GroupRef(c, store);
        Bytes gid = refs.resolve(group);
        Map<String, Object> out = fields(refs, gid);
        common.print(act(c, refs, gid, out), out);
        return 0;
      });
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create a group named NAME, with this device as its first member and you as its admin.")
  static final class Create implements Callable<Integer> {
    @Mixin ClientOptions common;

    @Parameters(paramLabel = "NAME", description = "The group's name, which every member sees (renamed with 'group rename').")
    String name;

    @Option(names = "--encrypted-handshakes", description = "Send proposals and commits as PrivateMessage: the DS sees who is"
        + " in the group but not what changes (it trusts members' roster declarations instead of verifying commits).")
    boolean encryptedHandshakes;

    @Option(names = "--admin", paramLabel = "USER", description = "Another user who may add and remove members (repeatable).")
    List<String> admins = new ArrayList<>();

    @Option(names = "--all-admins", description = "Every member may add and remove members and change the policy"
        + " (default: only you and any --admin).")
    boolean allAdmins;

    @Option(names = "--suite", converter = SuiteConverter.class, description = "The group's policy allows this cipher suite only;"
        + " it must be the one this device registered with ('jmls register --suite').")
    org.jmls.crypto.CipherSuite suite;

    @Option(names = "--post-quantum", description = "The group's policy allows post-quantum suites only (ML-KEM, alone or hybrid):"
        + " 'kem' for post-quantum confidentiality, 'full' for ML-DSA signatures too.", paramLabel = "kem|full")
    String postQuantum;

    @Override
    public Integer call() {
      return common.withClient((c, store) -> {
        GroupName.check(name);
        GroupRef refs = new GroupRef(c, store);
        refs.requireUnused(name, null);
        List<String> adminList = new ArrayList<>();
        if (!allAdmins) {
          adminList.add(c.user());
          admins.stream().filter(a -> !adminList.contains(a)).forEach(adminList::add);
        }
        GroupPolicy policy = GroupPolicy.defaults(c.user()).withEncryptedHandshakes(encryptedHandshakes).withAdmins(adminList);
        if (postQuantum != null) {
          if (!postQuantum.equals("kem") && !postQuantum.equals("full")) {
            throw new ClientOptions.CommandException("--post-quantum takes 'kem' or 'full', not '" + postQuantum + "'");
          }
          policy = policy.postQuantumOnly(postQuantum.equals("full"));
        }
        if (suite != null) {
          policy = policy.withAllowedSuites(policy.allowedSuites().contains(suite.id()) ? List.of(suite.id()) : List.of());
        }
        Bytes gid = c.createGroup(name, policy);
        refs.refresh(gid);
        Map<String, Object> out = fields(refs, gid);
        out.put("admins", adminList);
        common.print("created group " + name + " (id " + gid.hex() + "; admins: " + (allAdmins ? "every member" : String.join(", ", adminList))
            + ")", out);
        return 0;
      });
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Add every device of each USER to GROUP, in one commit (the group's admins only, unless it has --all-admins).")
  static final class Add extends OnGroup {
    @Parameters(index = "1..*", arity = "1..*", paramLabel = "USER", description = "User ids, user@domain.")
    List<String> users;

    @Override
    String act(MlsClient c, GroupRef refs, Bytes gid, Map<String, Object> out) throws Exception {
      long epoch = c.addUsers(gid, users);
      out.put("added", users);
      out.put("epoch", epoch);
      return "added " + String.join(", ", users) + " to " + refs.label(gid) + " (epoch " + epoch + ")";
    }
  }


  @Command(name = "remove", mixinStandardHelpOptions = true,
      description = "Remove every device of USER from GROUP (the group's admins only, unless it has --all-admins).")
  static final class Remove extends OnGroup {
    @Parameters(index = "1", paramLabel = "USER", description = "A user id, user@domain.")
    String user;

    @Override
    String act(MlsClient c, GroupRef refs, Bytes gid, Map<String, Object> out) throws Exception {
      long epoch = c.removeUser(gid, user);
      out.put("removed", user);
      out.put("epoch", epoch);
      return "removed " + user + " from " + refs.label(gid) + " (epoch " + epoch + ")";
    }
  }


  @Command(name = "rename", mixinStandardHelpOptions = true, description = "Rename GROUP for every member (any member may).")
  static final class Rename extends OnGroup {
    @Parameters(index = "1", paramLabel = "NEW-NAME")
    String newName;

    @Override
    String act(MlsClient c, GroupRef refs, Bytes gid, Map<String, Object> out) throws Exception {
      GroupName.check(newName);
      refs.requireUnused(newName, gid);
      String old = refs.label(gid);
      long epoch = c.renameGroup(gid, newName);
      out.put("group", newName);
      out.put("previousName", refs.name(gid));
      out.put("epoch", epoch);
      return "renamed " + old + " to " + newName + " for every member (epoch " + epoch + ")";
    }
  }


  @Command(name = "leave", mixinStandardHelpOptions = true, description = "Ask to leave GROUP (the next commit by another member removes this device).")
  static final class Leave extends OnGroup {
    @Override
    String act(MlsClient c, GroupRef refs, Bytes gid, Map<String, Object> out) throws Exception {
      c.leave(gid);
      out.put("leaving", true);
      return "asked to leave " + refs.label(gid) + "; the next commit by another member removes this device";
    }
  }


  @Command(name = "groups", mixinStandardHelpOptions = true, description = "List the groups this device is in, with their ids.")
  static final class Groups implements Callable<Integer> {
    @Mixin ClientOptions common;

    @Override
    public Integer call() {
      return common.withClient((c, store) -> {
        GroupRef refs = new GroupRef(c, store);
        List<Map<String, Object>> rows = new ArrayList<>();
        StringBuilder human = new StringBuilder();
        for (Bytes gid : c.groups()) {
          Map<String, Object> row = fields(refs, gid);
          row.put("members", c.members(gid).size());
          row.put("epoch", c.epoch(gid));
          rows.add(row);
          human.append(String.format("%-24s %s  %d members, epoch %d%n", refs.label(gid), gid.hex(), c.members(gid).size(), c.epoch(gid)));
        }
        if (common.json) {
          common.print("", Map.of("groups", rows));
        } else {
          System.out.print(rows.isEmpty() ? "this device is in no group yet ('jmls read' joins groups you were added to)\n" : human);
        }
        return 0;
      });
    }
  }

  @Command(name = "members", mixinStandardHelpOptions = true,
      description = "List the members of GROUP: each device with its user, as its credential proves, and who the admins are.")
  static final class Members extends OnGroup {
    @Override
    String act(MlsClient c, GroupRef refs, Bytes gid, Map<String, Object> out) throws Exception {
      List<String> devices = c.members(gid);
      GroupPolicy policy = c.policy(gid);
      StringBuilder human = new StringBuilder();
      for (String d : devices) {
        String user = d.substring(0, d.indexOf('/'));
        boolean admin = policy != null && policy.isAdmin(user);
        human.append(d).append(admin ? "  (admin)" : "").append(d.equals(c.clientId()) ? "  (this device)" : "").append('\n');
      }
      out.put("members", devices);
      out.put("admins", policy == null ? List.of() : policy.admins());
      return human.toString().stripTrailing();
    }
  }

}
