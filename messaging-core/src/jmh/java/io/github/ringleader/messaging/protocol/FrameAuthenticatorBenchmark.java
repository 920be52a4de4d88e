package io.github.ringleader.messaging.protocol;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.CodecException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The cluster-key path of every frame: the sending server seals each frame once as it leaves, and
 * every receiver opens (checks, and decodes) it. A receiver refuses a frame it has opened before,
 * so the opening side is measured as a round trip: {@code sealAndOpen} minus {@code seal} is the
 * cost of opening, the decoding of the inner frame included.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FrameAuthenticatorBenchmark {

  /** The chat text's length in bytes: a short chat, and the longest one allowed. */
  @Param({"128", "4096"})
  public int textBytes;

  private final ClusterKey key = ClusterKey.of(filled(7));
  private final FrameAuthenticator sender = new FrameAuthenticator(key);
  private final FrameAuthenticator receiver = new FrameAuthenticator(key);
  private final List<ClusterEnvelope> opened = new ArrayList<>(1);
  private byte[] frame = new byte[0];

  private static byte[] filled(int value) {
    byte[] bytes = new byte[ClusterKey.KEY_BYTES];
    Arrays.fill(bytes, (byte) value);
    return bytes;
  }

  @Setup
  public void setUp() {
    String text = "x".repeat(textBytes);
    frame = ClusterCodec.encode(new ClusterEnvelope(
        "ringleader-bench",
        NodeId.of("server9"),
        3,
        new Sequenced(
            1L << 40, 123_456, new StreamEntry.Chat("alice", 11, 1_001, null, text, 1_000))));
  }

  @Benchmark
  public byte[] seal() {
    return sender.seal(frame);
  }

  @Benchmark
  public List<ClusterEnvelope> sealAndOpen() throws CodecException, AuthenticationException {
    byte[] sealed = sender.seal(frame);
    opened.clear();
    receiver.openAll(sealed, 0, sealed.length, opened);
    return opened;
  }
}
