package io.github.ringleader.messaging.protocol;

import static io.github.ringleader.messaging.protocol.FuzzChecks.assertSameOutcome;
import static io.github.ringleader.messaging.protocol.FuzzChecks.decodeWithin;
import static io.github.ringleader.messaging.protocol.FuzzChecks.padded;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.protocol.FuzzChecks.Outcome;
import io.github.ringleader.messaging.transport.CodecException;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The properties the fuzz tests of the two client decoders share; {@code decoder} and {@code
 * encoder} are either {@code decodeRequest}/{@code encodeRequest} or {@code decodeEvent}/{@code
 * encodeEvent} of {@link ClientCodec}.
 */
final class ClientFrames<T> {
  /** A client decoder over a range of an array. */
  @FunctionalInterface
  interface Decoder<T> {
    T decode(byte[] data, int offset, int length) throws CodecException;
  }

  private final Decoder<T> decoder;
  private final Function<T, byte[]> encoder;

  ClientFrames(Decoder<T> decoder, Function<T, byte[]> encoder) {
    this.decoder = decoder;
    this.encoder = encoder;
  }

  /** Each frame alone, and a stream of the first few back to back. */
  static Stream<byte[]> seeds(List<byte[]> frames) {
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    frames.stream().limit(4).forEach(stream::writeBytes);
    return Stream.concat(frames.stream(), Stream.of(stream.toByteArray()));
  }

  /**
   * {@code frameLength}, one whole frame, the same frame inside a larger array, and the bytes read
   * as a TCP stream.
   */
  void check(byte[] input) throws Exception {
    Outcome<Integer> length = decodeWithin(
        input.length, () -> ClientCodec.frameLength(input, 0, input.length), CodecException.class);
    if (input.length < ClientCodec.LENGTH_PREFIX_BYTES) {
      assertThat(length.value()).isEqualTo(-1);
    } else if (length.decoded()) {
      assertThat(length.get())
          .isBetween(ClientCodec.LENGTH_PREFIX_BYTES, ClientCodec.MAX_CLIENT_FRAME_BYTES);
    } else {
      assertThat(((CodecException) length.thrown()).reason())
          .isEqualTo(CodecException.Reason.OVERSIZED);
    }

    Outcome<T> frame = decodeWithin(
        input.length, () -> decoder.decode(input, 0, input.length), CodecException.class);
    if (frame.decoded()) {
      assertThat(encoder.apply(frame.get())).as("re-encoded").isEqualTo(input);
    }
    byte[] padded = padded(input);
    Outcome<T> inPadding = decodeWithin(
        input.length, () -> decoder.decode(padded, 3, input.length), CodecException.class);
    assertSameOutcome(inPadding, frame, "the same frame at offset 3 of a larger array");

    readAsStream(input);
  }

  /**
   * Splits {@code stream} into frames the way the server's connection (TcpClientServer) and the
   * client (MessagingClient) read their socket: the length prefix first, then the whole frame.
   * Each step moves forward by a whole frame of at most the limit; what is left at the end is
   * part of one frame, so a buffer of {@link ClientCodec#MAX_CLIENT_FRAME_BYTES} always holds it.
   */
  private void readAsStream(byte[] stream) throws Exception {
    int start = 0;
    while (true) {
      int at = start;
      Outcome<Integer> length = decodeWithin(
          stream.length - at,
          () -> ClientCodec.frameLength(stream, at, stream.length - at),
          CodecException.class);
      if (!length.decoded()) {
        return; // the server says goodbye and closes
      }
      int frame = length.get();
      if (frame < 0 || stream.length - at < frame) {
        assertThat(stream.length - at)
            .as("an incomplete frame's bytes")
            .isLessThan(ClientCodec.MAX_CLIENT_FRAME_BYTES);
        return;
      }
      assertThat(frame)
          .isBetween(ClientCodec.LENGTH_PREFIX_BYTES, ClientCodec.MAX_CLIENT_FRAME_BYTES);
      Outcome<T> decoded =
          decodeWithin(frame, () -> decoder.decode(stream, at, frame), CodecException.class);
      if (!decoded.decoded()) {
        return;
      }
      assertThat(encoder.apply(decoded.get())).hasSize(frame);
      start += frame;
    }
  }
}
