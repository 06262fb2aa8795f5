package db.ds;

import java.sql.Connection;
import java.sql.Statement;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Delivery numbers in blocks on PostgreSQL (issue 17, docs/cluster-append-order.md): a block number
 * comes from a sequence, which takes no lock, and each appending transaction claims its block in
 * {@code ds_blocks} ({@code done}); a block nobody claimed in time is settled {@code void} by a node
 * waiting for it. {@code ds_block_floor} holds the lowest block that may still be unsettled: every
 * block below it was settled, and its rows may be pruned. The first block lies above every number
 * handed out before. SQLite keeps one writer and {@code ds_sequence}: it gets the tables (unused)
 * and no sequence.
 */
public class V11__Blocks extends BaseJavaMigration {
  /** Numbers per block: must equal {@code org.jmls.ds.Blocks.SIZE}. */
  private static final long SIZE = 65_536;

  @Override
  public void migrate(Context context) throws Exception {
    Connection c = context.getConnection();
    boolean postgres = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres");
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE ds_blocks (block BIGINT PRIMARY KEY, state TEXT NOT NULL)");
      s.execute("CREATE TABLE ds_block_floor (name TEXT PRIMARY KEY, block BIGINT NOT NULL)");
      if (postgres) {
        long first;
        // Above every number handed out, and every stored body's id (a body addressed under a block takes its number as id).
        try (java.sql.ResultSet rs = s.executeQuery("SELECT GREATEST((SELECT next_seq FROM ds_sequence WHERE name = 'delivery'),"
            + " (SELECT COALESCE(MAX(id), 0) + 1 FROM ds_messages))")) {
          rs.next();
          first = rs.getLong(1) / SIZE + 1;
        }
        s.execute("CREATE SEQUENCE ds_block_seq START WITH " + first + " MINVALUE " + first);
        s.execute("INSERT INTO ds_block_floor (name, block) VALUES ('delivery', " + first + ")");
      }
    }
  }
}
