package org.jmls.ds.http;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jmls.ds.GroupDirectory;

/**
 * Delivery to the devices online at this DS node (RFC 9750 §5.2): their WebSocket sessions, which
 * get new messages pushed, and their waiting long-polls ({@code GET /ds/queue?wait=}), which are
 * woken. Fed with what the group directory appends, in sequence order; the cost per message is
 * bounded by the devices online here (or the group's size, if smaller), never by the group's size
 * alone.
 */
final class LiveDelivery {
  private final Map<String, Set<PushChannel>> sockets = new ConcurrentHashMap<>();
  private final Map<String, Object> waiters = new ConcurrentHashMap<>();
  /** Sends, replies and pushes off the writer's and Jetty's threads, so neither waits on a slow socket. */
  final ExecutorService pushPool = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "jmls-ds-push");
    t.setDaemon(true);
    return t;
  });

  void opened(String client, PushChannel ch) {
    sockets.computeIfAbsent(client, k -> ConcurrentHashMap.newKeySet()).add(ch);
  }

  void closed(String client, PushChannel ch) {
    sockets.getOrDefault(client, Set.of()).remove(ch);
  }

  /** The devices with at least one open session here. */
  Set<String> online() {
    return sockets.keySet();
  }

  /**
   * The devices with a session or a long-poll here (a long-poll's device stays listed once it has
   * waited): a live view, asked once per announcement of another node, so its lookups copy nothing.
   */
  Set<String> interested() {
    return interested;
  }

  private final Set<String> interested = new java.util.AbstractSet<>() {
    @Override
    public boolean contains(Object o) {
      return sockets.containsKey(o) || waiters.containsKey(o);
    }

    @Override
    public boolean isEmpty() {
      return sockets.isEmpty() && waiters.isEmpty();
    }

    @Override
    public java.util.Iterator<String> iterator() {
      Set<String> all = new HashSet<>(sockets.keySet());
      all.addAll(waiters.keySet());
      return all.iterator();
    }

    @Override
    public int size() {
      int n = sockets.size();
      for (String w : waiters.keySet()) {
        n += sockets.containsKey(w) ? 0 : 1;
      }
      return n;
    }
  };

  /** Announcements may have been lost: every delivering session reads what it is owed, every long-poll looks again. */
  void resync() {
    for (Set<PushChannel> chs : sockets.values()) {
      for (PushChannel ch : chs) {
        ch.catchUp();
      }
    }
    waiters.keySet().forEach(this::wake);
  }

  /** Closes every session of {@code client} with a WebSocket status and reason. */
  void closeSessions(String client, int status, String reason) {
    for (PushChannel ch : sockets.getOrDefault(client, Set.of())) {
      ch.close(status, reason);
    }
  }

  /** Waits until something is appended for {@code client} or {@code deadline} (epoch millis) passes; at most 250 ms a call. */
  void awaitNews(String client, long deadline) throws InterruptedException {
    Object w = waiters.computeIfAbsent(client, k -> new Object());
    synchronized (w) {
      w.wait(Math.max(1, Math.min(250, deadline - System.currentTimeMillis())));
    }
  }

  /** Freshly stored messages, in sequence order: pushed to delivering sessions, waiting long-polls woken. */
  void deliver(List<GroupDirectory.Appended> appended) {
    Map<PushChannel, List<PushChannel.Frame>> perChannel = new LinkedHashMap<>();
    Set<String> woken = new HashSet<>();
    for (GroupDirectory.Appended a : appended) {
      PushChannel.Frame frame = null;
      for (String c : a.readers().size() <= sockets.size() ? a.readers() : sockets.keySet()) {
        if (a.reaches(c)) {
          for (PushChannel ch : sockets.getOrDefault(c, Set.of())) {
            frame = frame == null ? PushChannel.Frame.of(a) : frame;
            perChannel.computeIfAbsent(ch, k -> new ArrayList<>()).add(frame);
          }
        }
      }
      for (String c : a.readers().size() <= waiters.size() ? a.readers() : waiters.keySet()) {
        if (a.reaches(c) && woken.add(c)) {
          wake(c);
        }
      }
    }
    perChannel.forEach(PushChannel::offer);
  }

  /** Ends the wait of a long-polling read of this device, if one is waiting. */
  private void wake(String client) {
    Object w = waiters.get(client);
    if (w != null) {
      synchronized (w) {
        w.notifyAll();
      }
    }
  }

  void close() {
    pushPool.shutdownNow();
  }
}
