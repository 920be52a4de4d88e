package io.github.ringleader.messaging.protocol;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.transport.CodecException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The cluster codec on the data path: a leader encodes each {@link Sequenced} chat once per
 * datagram and every member decodes it; members encode and the leader decodes a {@link StreamAck}
 * per acknowledgement.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ClusterCodecBenchmark {

  /** 128 bytes of ASCII chat text (the text of every chat in the benchmarks). */
  public static final String TEXT_128 = text128();

  private final ClusterEnvelope sequencedChat = new ClusterEnvelope(
      "ringleader-bench",
      NodeId.of("server9"),
      3,
      new Sequenced(
          1L << 40, 123_456, new StreamEntry.Chat("alice", 11, 1_001, null, TEXT_128, 1_000)));
  private final ClusterEnvelope streamAck = new ClusterEnvelope(
      "ringleader-bench", NodeId.of("server1"), 2, new StreamAck(1L << 40, 123_456, 123_400));
  private final byte[] sequencedChatFrame = ClusterCodec.encode(sequencedChat);
  private final byte[] streamAckFrame = ClusterCodec.encode(streamAck);

  private static String text128() {
    StringBuilder text = new StringBuilder(128);
    while (text.length() < 128) {
      text.append("The quick brown fox jumps over the lazy dog. ");
    }
    text.setLength(128);
    return text.toString();
  }

  @Benchmark
  public byte[] encodeSequencedChat() {
    return ClusterCodec.encode(sequencedChat);
  }

  @Benchmark
  public ClusterEnvelope decodeSequencedChat() throws CodecException {
    return ClusterCodec.decode(sequencedChatFrame);
  }

  @Benchmark
  public byte[] encodeStreamAck() {
    return ClusterCodec.encode(streamAck);
  }

  @Benchmark
  public ClusterEnvelope decodeStreamAck() throws CodecException {
    return ClusterCodec.decode(streamAckFrame);
  }
}
