package io.github.ringleader.messaging.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.CodecException;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing (Jazzer) of what a client reads from its server: {@link
 * ClientCodec#frameLength} and {@link ClientCodec#decodeEvent}, alone and as a client's read loop
 * applies them to a stream. The seeded loops of {@link ClientCodecTest} stay.
 */
class ClientEventFuzzTest {
  private static final ClientFrames<ServerEvent> EVENTS =
      new ClientFrames<>(ClientCodec::decodeEvent, ClientCodec::encodeEvent);

  /** A frame of every event type (and edge values), written by the encoder. */
  static Stream<byte[]> seeds() {
    return ClientFrames.seeds(
        ClientCodecTest.events().map(ClientCodec::encodeEvent).toList());
  }

  /**
   * Any bytes: an event frame decodes and re-encodes to the same bytes, or is rejected with a
   * {@link CodecException}, never anything else, within the allocation bound; a stream of bytes
   * splits into frames no larger than the limit.
   */
  @MethodSource("seeds")
  @FuzzTest(maxDuration = "10s")
  void eventDecoderDecodesCanonicallyOrThrowsOnlyCodecException(byte[] input) throws Exception {
    EVENTS.check(input);
  }
}
