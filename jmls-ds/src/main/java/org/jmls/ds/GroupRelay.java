package org.jmls.ds;

import java.sql.SQLException;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.MlsException;
import org.jmls.ValidationException;
import org.jmls.message.MlsMessage;

/**
 * How a follower's DS reaches the hub of a group hosted elsewhere (federation): its devices' posts
 * and commits, and their reads of the group's log, tree and GroupInfo, are made at the hub on the
 * device's behalf. Implemented by the federation layer; answers and refusals are the hub's
 * ({@link StaleEpochException} included); an unreachable hub is a {@code fed.peer-unavailable}
 * refusal, never a silent drop.
 */
public interface GroupRelay {
  long post(String hub, String sender, MlsMessage message) throws MlsException, SQLException;

  /**
   * As {@link #post}, completing with the hub's answer (or failing with its refusal) without holding
   * a thread while the hub answers.
   */
  java.util.concurrent.CompletableFuture<Long> postAsync(String hub, String sender, MlsMessage message);

  GroupDirectory.Accepted commit(String hub, String sender, MlsMessage commit, MlsMessage welcome, MlsMessage groupInfo,
      List<String> added, List<String> removed, TreeChanges changes) throws MlsException, SQLException;

  List<GroupDirectory.LogEntry> log(String hub, String requester, Bytes gid, long afterSeq, int limit, Long commitEpoch)
      throws ValidationException, SQLException;

  MlsMessage groupInfo(String hub, String requester, Bytes gid) throws ValidationException, SQLException;

  byte[] tree(String hub, String requester, Bytes gid, long epoch) throws ValidationException, SQLException;
}
