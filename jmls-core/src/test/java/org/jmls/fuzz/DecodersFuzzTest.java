package org.jmls.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import org.jmls.codec.DecodeException;
import org.jmls.codec.TlsReader;
import org.jmls.extension.ExternalSenders;
import org.jmls.extension.RatchetTree;
import org.jmls.extension.RequiredCapabilities;
import org.jmls.group.Group;
import org.jmls.group.GroupServices;
import org.jmls.message.Extension;
import org.jmls.message.GroupInfo;
import org.jmls.message.KeyPackage;
import org.jmls.message.LeafNode;
import org.jmls.message.MlsMessage;
import org.jmls.message.Welcome;

/**
 * Every top-level decoder a stranger's bytes reach: each returns a value or a {@link
 * DecodeException}, never anything else (any other exception, a hang or an out-of-memory is a
 * finding). A value re-encodes to the bytes it was read from where the format is canonical.
 * Regression inputs live in {@code DecodersFuzzTestInputs/<method>/} and run in every build;
 * {@code JAZZER_FUZZ=1} fuzzes (FUZZING.md).
 */
class DecodersFuzzTest {
  private static final GroupServices S = GroupServices.development();

  @FuzzTest(maxDuration = "30m", maxExecutions = 10_000_000)
  void mlsMessage(byte[] input) {
    try {
      MlsMessage m = MlsMessage.fromBytes(input);
      if (!Arrays.equals(input, m.toByteArray())) {
        throw new AssertionError("an MLSMessage did not re-encode to the bytes it was read from");
      }
    } catch (DecodeException expected) {
      // refused: fine
    }
  }

  @FuzzTest(maxDuration = "30m", maxExecutions = 10_000_000)
  void keyPackage(byte[] input) {
    decode(input, KeyPackage::decode);
  }

  @FuzzTest(maxDuration = "30m", maxExecutions = 10_000_000)
  void welcome(byte[] input) {
    decode(input, Welcome::decode);
  }

  @FuzzTest(maxDuration = "30m", maxExecutions = 10_000_000)
  void groupInfo(byte[] input) {
    decode(input, GroupInfo::decode);
  }

  @FuzzTest(maxDuration = "30m", maxExecutions = 10_000_000)
  void leafNode(byte[] input) {
    decode(input, LeafNode::decode);
  }

  @FuzzTest(maxDuration = "30m", maxExecutions = 10_000_000)
  void ratchetTree(byte[] input) {
    decode(input, RatchetTree::decode);
  }

  @FuzzTest(maxDuration = "30m", maxExecutions = 10_000_000)
  void extensions(byte[] input) {
    Extension e = new Extension(Extension.EXTERNAL_SENDERS, org.jmls.Bytes.wrap(input));
    try {
      ExternalSenders.from(e);
    } catch (DecodeException expected) {
      // refused
    }
    try {
      RequiredCapabilities.from(new Extension(Extension.REQUIRED_CAPABILITIES, org.jmls.Bytes.wrap(input)));
    } catch (DecodeException expected) {
      // refused
    }
  }

  /** A stored group state read back (a damaged store file): a group or a DecodeException. */
  @FuzzTest(maxDuration = "30m", maxExecutions = 10_000_000)
  void groupState(byte[] input) {
    try {
      Group.load(S, input);
    } catch (DecodeException expected) {
      // refused
    }
  }

  private static <T> void decode(byte[] input, org.jmls.codec.TlsDecoder<T> reader) {
    try {
      TlsReader.decode(input, reader);
    } catch (DecodeException expected) {
      // refused
    }
  }
}
