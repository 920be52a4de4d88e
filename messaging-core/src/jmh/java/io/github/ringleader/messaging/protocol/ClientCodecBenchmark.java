package io.github.ringleader.messaging.protocol;

import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.CodecException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The client codec on the data path: a server decodes each {@link ClientRequest.Send} of its
 * clients and encodes a {@link ServerEvent.Message} per delivered chat per connected client.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ClientCodecBenchmark {

  private final ServerEvent.Message message = new ServerEvent.Message(
      "alice", null, ClusterCodecBenchmark.TEXT_128, 1L << 40, 123_456, 11, 1_001);
  private final byte[] sendFrame = ClientCodec.encodeRequest(
      new ClientRequest.Send(1_001, null, ClusterCodecBenchmark.TEXT_128));

  @Benchmark
  public byte[] encodeMessage() {
    return ClientCodec.encodeEvent(message);
  }

  @Benchmark
  public ClientRequest decodeSend() throws CodecException {
    return ClientCodec.decodeRequest(sendFrame);
  }
}
