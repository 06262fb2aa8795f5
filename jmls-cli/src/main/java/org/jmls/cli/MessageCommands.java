package org.jmls.cli;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.jmls.Bytes;
import org.jmls.client.ClientStore;
import org.jmls.client.MlsClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jmls send}, {@code jmls read}, {@code jmls watch}. */
final class MessageCommands {
  private MessageCommands() {}

  @Command(name = "send", mixinStandardHelpOptions = true, description = "Send TEXT to GROUP (its name or id).")
  static final class Send extends GroupCommands.OnGroup {
    @Parameters(index = "1", paramLabel = "TEXT")
    String text;

    @Override
    String act(MlsClient c, GroupRef refs, Bytes gid, Map<String, Object> out) throws Exception {
      c.send(gid, text);
      out.put("sent", true);
      return "sent to " + refs.label(gid);
    }
  }


  /** One sync: prints group changes, then messages, then what could not be read; returns how many lines were shown. */
  static int readOnce(ClientOptions common, MlsClient c, ClientStore store) throws Exception {
    List<MlsClient.Received> got = c.sync();
    GroupRef refs = new GroupRef(c, store);
    int shown = 0;
    for (MlsClient.GroupChange ch : c.lastSyncChanges()) {
      Map<String, Object> out = GroupCommands.fields(refs, ch.groupId());
      out.put("group", ch.name());
      out.put("change", ch.kind().name().toLowerCase(java.util.Locale.ROOT));
      String label = ch.name() == null ? ch.groupId().hex() : ch.name();
      String human;
      switch (ch.kind()) {
        case JOINED:
          human = "joined group " + label + " (id " + ch.groupId().hex() + ")";
          break;
        case REMOVED:
          human = "removed from group " + label + " (id " + ch.groupId().hex() + ")";
          break;
        default:
          out.put("previousName", ch.previousName());
          human = (ch.previousName() == null ? "group " + ch.groupId().hex().substring(0, 8) : ch.previousName()) + " is now called " + label;
      }
      common.print(human, out);
      shown++;
    }
    for (MlsClient.Received r : got) {
      Map<String, Object> out = GroupCommands.fields(refs, r.groupId());
      out.put("user", r.fromUser());
      out.put("device", r.fromDevice());
      out.put("text", r.text());
      common.print("[" + refs.label(r.groupId()) + "] " + r.fromDevice() + ": " + r.text(), out);
      shown++;
    }
    for (String problem : c.lastSyncProblems()) {
      System.err.println("skipped " + problem);
    }
    for (MlsClient.Gap gap : c.lastSyncGaps()) {
      System.err.println("missing " + gap.count() + " message(s) from " + gap.fromDevice() + " in " + refs.label(gap.groupId())
          + " (epoch " + gap.epoch() + "): lost on the way, or still to come");
    }
    return shown;
  }

  @Command(name = "read", mixinStandardHelpOptions = true,
      description = "Fetch and print new messages, and join the groups this device was added to.")
  static final class Read implements Callable<Integer> {
    @Mixin ClientOptions common;

    @Override
    public Integer call() {
      return common.withClient((c, store) -> {
        if (readOnce(common, c, store) == 0 && !common.json) {
          System.out.println("no new messages");
        }
        return 0;
      });
    }
  }

  @Command(name = "watch", mixinStandardHelpOptions = true, description = "Print messages as they arrive (Ctrl-C to stop).")
  static final class Watch implements Callable<Integer> {
    @Mixin ClientOptions common;

    @Option(names = "--seconds", defaultValue = "0", description = "Stop after this many seconds (0: never).")
    long seconds;

    @Option(names = "--count", defaultValue = "0", description = "Stop after this many messages and group changes (0: never).")
    int count;

    @Override
    public Integer call() {
      return common.withClient((c, store) -> {
        long end = seconds == 0 ? Long.MAX_VALUE : System.currentTimeMillis() + seconds * 1000;
        Semaphore wake = new Semaphore(0);
        AutoCloseable socket = null;
        long idle = 30_000; // with the WebSocket open, a safety re-read every 30 s
        try {
          socket = c.wakeups(wake::release);
        } catch (Exception e) {
          idle = 1_000;
          System.err.println("live updates unavailable (" + Failures.describe(e, common.url) + "); checking every second instead");
        }
        System.err.println(socket != null ? "watching for new messages (Ctrl-C to stop)" : "watching for new messages every second");
        int shown = 0;
        try {
          while (System.currentTimeMillis() < end && (count == 0 || shown < count)) {
            shown += readOnce(common, c, store);
            if (count > 0 && shown >= count) {
              break;
            }
            long left = end - System.currentTimeMillis();
            if (wake.tryAcquire(Math.max(1, Math.min(idle, left)), TimeUnit.MILLISECONDS)) {
              wake.drainPermits();
            }
          }
        } finally {
          if (socket != null) {
            socket.close();
          }
        }
        return 0;
      });
    }
  }
}
