package org.jmls.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** Isolation levels on a real PostgreSQL: each kind of transaction gets its own, whatever ran before on the pooled connection. */
class DatabaseTest {
  private static String isolation(java.sql.Connection c) throws java.sql.SQLException {
    try (PreparedStatement q = c.prepareStatement("SELECT current_setting('transaction_isolation')"); ResultSet rs = q.executeQuery()) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void isolation_serializableThenReadCommitted_evenWhenTheServerDefaultIsSerializable() throws Exception {
    // An operator's server default must not leak into the transactions that rely on READ COMMITTED.
    io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg = Databases.postgres();
    try (java.sql.Connection admin = pg.getPostgresDatabase().getConnection(); Statement st = admin.createStatement()) {
      st.execute("CREATE DATABASE isolation_default");
      st.execute("ALTER DATABASE isolation_default SET default_transaction_isolation = 'serializable'");
    }
    try (Database db = Database.postgres(pg.getJdbcUrl("postgres", "isolation_default"), "postgres", "postgres", "db/test")) {
      for (int i = 0; i < 40; i++) { // more than the pool's 16 connections, alternating
        assertEquals("serializable", db.transaction(DatabaseTest::isolation));
        assertEquals(Boolean.TRUE, db.statements(java.sql.Connection::getAutoCommit));
        assertEquals("read committed", db.statements(DatabaseTest::isolation));
        assertEquals("read committed", db.lockedTransaction("SELECT 1", DatabaseTest::isolation));
      }
    }
  }
}
