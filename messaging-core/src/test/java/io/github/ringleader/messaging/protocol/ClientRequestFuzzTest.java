package io.github.ringleader.messaging.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.transport.CodecException;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing (Jazzer) of what a server reads from a client's TCP connection: {@link
 * ClientCodec#frameLength} and {@link ClientCodec#decodeRequest}, alone and as the server's read
 * loop applies them to a stream. The seeded loops of {@link ClientCodecTest} stay.
 */
class ClientRequestFuzzTest {
  private static final ClientFrames<ClientRequest> REQUESTS =
      new ClientFrames<>(ClientCodec::decodeRequest, ClientCodec::encodeRequest);

  /** A frame of every request type (and edge values), written by the encoder. */
  static Stream<byte[]> seeds() {
    return ClientFrames.seeds(
        ClientCodecTest.requests().map(ClientCodec::encodeRequest).toList());
  }

  /**
   * Any bytes: a request frame decodes and re-encodes to the same bytes, or is rejected with a
   * {@link CodecException}, never anything else, within the allocation bound; a stream of bytes
   * splits into frames no larger than the limit.
   */
  @MethodSource("seeds")
  @FuzzTest(maxDuration = "10s")
  void requestDecoderDecodesCanonicallyOrThrowsOnlyCodecException(byte[] input) throws Exception {
    REQUESTS.check(input);
  }
}
