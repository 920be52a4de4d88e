package io.github.ringleader.messaging.protocol;

import static io.github.ringleader.messaging.protocol.FuzzChecks.assertSameOutcome;
import static io.github.ringleader.messaging.protocol.FuzzChecks.decodeWithin;
import static io.github.ringleader.messaging.protocol.FuzzChecks.padded;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.ringleader.messaging.protocol.FuzzChecks.Outcome;
import io.github.ringleader.messaging.transport.CodecException;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing (Jazzer) of the cluster frame decoders — {@link ClusterCodec#decode},
 * {@link ClusterCodec#decodeAll} and {@link ClusterCodec#frameLength} — which read every datagram
 * that reaches a node's cluster port. The seeded loops of {@link ClusterCodecTest} stay; this adds
 * inputs found by following the decoder's branches. How it runs: docs/security.md, "Fuzzed
 * decoders".
 */
class ClusterCodecFuzzTest {

  /** What the output list holds before a decode: a rejected datagram must leave it so. */
  private static final ClusterEnvelope SENTINEL =
      ClusterCodecTest.samples().findFirst().orElseThrow();
  /**
   * Frames of every message type and every stream entry kind, written by the encoder, and a
   * datagram of several: where the fuzzer starts, so it mutates deep inside valid frames.
   */
  static Stream<byte[]> seeds() {
    List<byte[]> frames = Stream.of(
            ClusterCodecTest.samples(),
            ClusterCodecTest.largest(),
            ClusterCodecTest.smallest(),
            RoutingCodecTest.fuzzSamples())
        .flatMap(s -> s)
        .map(ClusterCodec::encode)
        .toList();
    ByteArrayOutputStream datagram = new ByteArrayOutputStream();
    frames.stream().limit(3).forEach(datagram::writeBytes);
    return Stream.concat(frames.stream(), Stream.of(datagram.toByteArray()));
  }

  /**
   * Any bytes: each decoder returns a result or throws a {@link CodecException}, never anything
   * else; a frame that decodes re-encodes to the same bytes (the codec's canonical-encoding
   * promise); a decode reads only its range; no decode allocates beyond the bound of {@link
   * FuzzChecks}; a datagram decodes whole or leaves the output as it was.
   */
  @MethodSource("seeds")
  @FuzzTest(maxDuration = "10s")
  void clusterDecodersDecodeCanonicallyOrThrowOnlyCodecException(byte[] input) throws Exception {
    checkFrameLength(input);

    Outcome<ClusterEnvelope> frame =
        decodeWithin(input.length, () -> ClusterCodec.decode(input), CodecException.class);
    if (frame.decoded()) {
      assertThat(ClusterCodec.encode(frame.get())).as("re-encoded").isEqualTo(input);
      assertThat(ClusterCodec.frameLength(input, 0, input.length)).isEqualTo(input.length);
    }
    byte[] padded = padded(input);
    Outcome<ClusterEnvelope> inPadding = decodeWithin(
        input.length, () -> ClusterCodec.decode(padded, 3, input.length), CodecException.class);
    assertSameOutcome(inPadding, frame, "the same frame at offset 3 of a larger array");

    checkDecodeAll(input);
  }

  private static void checkFrameLength(byte[] input) throws Exception {
    Outcome<Integer> length = decodeWithin(
        input.length, () -> ClusterCodec.frameLength(input, 0, input.length), CodecException.class);
    if (input.length < ClusterCodec.LENGTH_PREFIX_BYTES) {
      assertThat(length.value()).isEqualTo(-1);
    } else if (length.decoded()) {
      assertThat(length.get())
          .isBetween(ClusterCodec.LENGTH_PREFIX_BYTES, ClusterCodec.MAX_FRAME_BYTES);
    } else {
      assertThat(((CodecException) length.thrown()).reason())
          .isEqualTo(CodecException.Reason.OVERSIZED);
    }
  }

  private static void checkDecodeAll(byte[] input) throws Exception {
    Outcome<List<ClusterEnvelope>> all = decodeWithin(
        input.length,
        () -> {
          List<ClusterEnvelope> out = new ArrayList<>(List.of(SENTINEL));
          try {
            ClusterCodec.decodeAll(input, 0, input.length, out);
          } catch (CodecException e) {
            assertThat(out).as("output after a rejected datagram").containsExactly(SENTINEL);
            throw e;
          }
          return out.subList(1, out.size());
        },
        CodecException.class);
    if (all.decoded()) {
      assertThat(all.get()).as("frames in the datagram").isNotEmpty();
      ByteArrayOutputStream again = new ByteArrayOutputStream();
      all.get().forEach(e -> again.writeBytes(ClusterCodec.encode(e)));
      assertThat(again.toByteArray()).as("the datagram's frames re-encoded").isEqualTo(input);
    }
  }
}
