package org.jmls.service;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Wake-ups between the server processes ("nodes") that share one PostgreSQL database, with
 * PostgreSQL as the only coordinator: {@code NOTIFY} on one channel, {@code LISTEN} on one
 * connection per node. A message published inside a transaction is sent when it commits and not at
 * all if it rolls back, and every node, the publisher included, receives the messages in the order
 * their transactions committed (PostgreSQL's guarantee for notifications on one database), so a
 * node can replay the writes of all nodes in one order.
 *
 * <p>Why LISTEN/NOTIFY: it is part of the database every node already needs, transactional, and
 * ordered; nothing else to run or secure. Its limits, and what this class does about them:
 *
 * <ul>
 *   <li>A payload is at most 8,000 bytes: messages carry ids and sequence ranges, never content
 *       (nodes read the content from the database); {@link #publish} refuses a longer one.
 *   <li>Each node holds one connection of its own for listening (outside its pool).
 *   <li>A notification is lost when the listening connection is: after a reconnection every
 *       subscriber is told to resynchronise from the database ({@link Subscriber#resync}).
 *   <li>PostgreSQL queues notifications for a slow listener (8 GB by default) rather than block
 *       writers; a node that stops reading is a node that has lost its connection.
 * </ul>
 *
 * <p>Without PostgreSQL (SQLite: one process owns the data) the bus is local: published messages go
 * straight to this node's subscribers, and no one else is listening.
 */
public final class ClusterBus implements AutoCloseable {
  /** The one channel; topics are in the payload. */
  static final String CHANNEL = "jmls_cluster";
  /** Longest payload PostgreSQL takes is 8,000 bytes; room is left for the node and topic. */
  public static final int MAX_DATA = 7_000;

  /** A message: the process that published it (node name and a random suffix), its topic, its data. */
  public record Message(String sender, String topic, String data) {}

  /** Whether this process published {@code m}. */
  public boolean mine(Message m) {
    return m.sender().equals(instance);
  }

  /** Receives the messages of one topic, one at a time, in commit order, on the bus's thread. */
  public interface Subscriber {
    void message(Message m);

    /** Messages may have been lost (the listening connection broke and is back): rebuild from the database. */
    default void resync() {}
  }

  private final String node;
  /** This process: the node's name and a random suffix, so two processes given one name never take each other's messages for their own. */
  private final String instance;
  private final Database db;
  private final Map<String, List<Subscriber>> subscribers = new ConcurrentHashMap<>();
  private volatile boolean running = true;
  private volatile boolean listening;
  private volatile long lastHeard;
  private Thread thread;

  private ClusterBus(String node, Database db) {
    if (node.isEmpty() || node.length() > 64 || !node.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("a node name is 1 to 64 letters, digits, '.', '_' or '-': " + node);
    }
    this.node = node;
    this.instance = node + "." + String.format("%08x", new java.security.SecureRandom().nextInt());
    this.db = db;
  }

  /** A bus for {@code node}: over PostgreSQL when {@code db} is PostgreSQL (started), else local to this process. */
  public static ClusterBus start(String node, Database db) {
    ClusterBus bus = new ClusterBus(node, db != null && db.dialect() == Database.Dialect.POSTGRESQL ? db : null);
    if (bus.db != null) {
      bus.thread = new Thread(bus::listen, "jmls-cluster-listen");
      bus.thread.setDaemon(true);
      bus.thread.start();
    } else {
      bus.listening = true;
    }
    return bus;
  }

  /** This node's name. */
  public String node() {
    return node;
  }

  /** Whether other processes may write the same data (PostgreSQL), so nodes must tell each other. */
  public boolean shared() {
    return db != null;
  }

  /** Whether the bus hears the other nodes now (always, when local). */
  public boolean listening() {
    return listening;
  }

  /** Waits until the bus hears the other nodes; false if {@code millis} passed first. */
  public boolean awaitListening(long millis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    synchronized (this) {
      while (!listening) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          return false;
        }
        wait(left);
      }
    }
    return true;
  }

  private void listening(boolean now) {
    synchronized (this) {
      listening = now;
      notifyAll();
    }
  }

  /** Subscribes to {@code topic}. */
  public void subscribe(String topic, Subscriber s) {
    subscribers.computeIfAbsent(topic, t -> new CopyOnWriteArrayList<>()).add(s);
  }

  /**
   * Publishes inside the transaction of {@code c}: sent to every node, this one included, when it
   * commits. Only for a shared bus ({@link #shared}); a local node calls its subscribers itself.
   */
  public void publish(Connection c, String topic, String data) throws SQLException {
    if (db == null) {
      throw new IllegalStateException("a local bus has no transaction to publish in");
    }
    try (PreparedStatement n = c.prepareStatement("SELECT pg_notify(?, ?)")) {
      n.setString(1, CHANNEL);
      n.setString(2, payload(topic, data));
      n.execute();
    }
  }

  /** Publishes now, outside any transaction: to every node (shared), or straight to this node's subscribers (local). */
  public void publish(String topic, String data) throws SQLException {
    if (db == null) {
      payload(topic, data); // the same limits as across nodes
      dispatch(new Message(instance, topic, data));
      return;
    }
    db.transaction(c -> {
      publish(c, topic, data);
      return null;
    });
  }

  /**
   * The channel and the start of a notification of {@code topic} from this process, for a statement
   * that calls {@code pg_notify(channel, start || data)} itself, the data computed in it (see {@link
   * #publish(Connection, String, String)} for the limits, which the caller keeps).
   */
  public String[] notification(String topic) {
    if (db == null) {
      throw new IllegalStateException("a local bus has no transaction to publish in");
    }
    return new String[] {CHANNEL, payload(topic, "")};
  }

  private String payload(String topic, String data) {
    if (topic.indexOf(' ') >= 0 || data.getBytes(StandardCharsets.UTF_8).length > MAX_DATA) {
      throw new IllegalArgumentException("a cluster message is a topic without spaces and at most " + MAX_DATA + " bytes of data");
    }
    return instance + " " + topic + " " + data;
  }

  static Message parse(String payload) {
    int a = payload.indexOf(' ');
    int b = a < 0 ? -1 : payload.indexOf(' ', a + 1);
    if (b < 0) {
      return null;
    }
    return new Message(payload.substring(0, a), payload.substring(a + 1, b), payload.substring(b + 1));
  }

  private void dispatch(Message m) {
    for (Subscriber s : subscribers.getOrDefault(m.topic(), List.of())) {
      try {
        s.message(m);
      } catch (RuntimeException e) {
        // one subscriber's failure does not stop the others; it resynchronises on its own terms
      }
    }
  }

  /** How often the listening connection is probed (a silent network would otherwise look like a quiet cluster). */
  static final int PROBE_MILLIS = 5_000;

  private void listen() {
    long backoff = 100;
    boolean lost = false;
    while (running) {
      try (Connection c = db.dedicatedConnection(); Statement st = c.createStatement()) {
        c.setAutoCommit(true);
        st.execute("LISTEN " + CHANNEL);
        listening(true);
        lastHeard = System.currentTimeMillis();
        backoff = 100;
        if (lost) {
          lost = false;
          subscribers.values().forEach(list -> list.forEach(Subscriber::resync));
        }
        PGConnection pg = c.unwrap(PGConnection.class);
        while (running) {
          PGNotification[] got = pg.getNotifications(500);
          if (got != null) {
            for (PGNotification n : got) {
              Message m = parse(n.getParameter());
              if (m != null) {
                dispatch(m);
              }
            }
          }
          long now = System.currentTimeMillis();
          if (now - lastHeard >= PROBE_MILLIS) {
            st.execute("SELECT 1");
            lastHeard = now;
          }
        }
      } catch (SQLException | RuntimeException e) {
        listening(false);
        lost = true;
        if (!running) {
          return;
        }
        try {
          Thread.sleep(backoff); // the connection is gone: wait before opening another
        } catch (InterruptedException ie) {
          return;
        }
        backoff = Math.min(5_000, backoff * 2);
      }
    }
  }

  /** Runs {@code r} for each message of {@code topic} (a shorthand without resync). */
  public void on(String topic, Consumer<Message> r) {
    subscribe(topic, r::accept);
  }

  @Override
  public void close() {
    running = false;
    if (thread != null) {
      thread.interrupt();
    }
  }
}
