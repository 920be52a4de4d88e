package io.github.ringleader.messaging.protocol;

import static io.github.ringleader.messaging.protocol.FuzzChecks.decodeAfterWarmUp;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.ringleader.messaging.protocol.FuzzChecks.Outcome;
import io.github.ringleader.messaging.transport.AuthFailure;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.CodecException;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing (Jazzer) of the authenticated-frame check, {@link
 * FrameAuthenticator#openAll}, under a fixed test key: what a node with a cluster key runs on
 * every datagram before anything else. Random bytes almost never carry a valid MAC, so an input
 * is read one of two ways (its first byte says which):
 *
 * <ul>
 *   <li>even: the rest is a datagram as it arrives, and exercises the outer header, the framing
 *       and the MAC check;
 *   <li>odd: the rest is a list of inner frames (each a u16 length, then its bytes, then a byte
 *       for its frame sequence number), which the test seals with the key, so the fuzzer reaches
 *       the decoding of inner frames behind a valid MAC and the replay checks.
 * </ul>
 */
class FrameAuthenticatorFuzzTest {
  private static final ClusterKey KEY = ClusterKey.of(filled(1), filled(2));

  /** What the output list holds before a decode: a rejected datagram must leave it so. */
  private static final ClusterEnvelope SENTINEL =
      ClusterCodecTest.samples().findFirst().orElseThrow();

  private static byte[] filled(int value) {
    byte[] key = new byte[ClusterKey.KEY_BYTES];
    Arrays.fill(key, (byte) value);
    return key;
  }

  /** Sealed datagrams and inner-frame lists of every cluster message type. */
  static Stream<byte[]> seeds() {
    List<byte[]> frames = ClusterCodecFuzzTest.seeds().limit(40).toList();
    List<byte[]> seeds = new ArrayList<>();
    FrameAuthenticator sender = new FrameAuthenticator(KEY);
    for (int i = 0; i < frames.size(); i++) {
      byte[] frame = frames.get(i);
      if (frame.length > FrameAuthenticator.MAX_INNER_FRAME_BYTES || frame.length > 0xFFFF) {
        continue;
      }
      ByteArrayOutputStream sealed = new ByteArrayOutputStream();
      sealed.write(0);
      sealed.writeBytes(sender.seal(frame));
      seeds.add(sealed.toByteArray());
      ByteArrayOutputStream list = new ByteArrayOutputStream();
      list.write(1);
      for (byte[] inner : List.of(frame, frames.get((i + 1) % frames.size()))) {
        list.write(inner.length >>> 8);
        list.write(inner.length);
        list.writeBytes(inner);
        list.write(i);
      }
      seeds.add(list.toByteArray());
    }
    return seeds.stream();
  }

  /**
   * Any datagram: {@code openAll} adds its frames or throws a {@link CodecException} or an {@link
   * AuthenticationException}, nothing else, and leaves the output as it was when it throws. Frames
   * sealed with the key open exactly when every inner frame decodes and no (cluster, sender,
   * incarnation, frame sequence number) repeats, to the envelopes their bytes encode; the same
   * datagram a second time is a replay.
   */
  @MethodSource("seeds")
  @FuzzTest(maxDuration = "10s")
  void openAllAcceptsOnlySealedValidFramesOnceAndThrowsOnlyDocumentedExceptions(byte[] input)
      throws Exception {
    if (input.length == 0) {
      return;
    }
    byte[] rest = Arrays.copyOfRange(input, 1, input.length);
    if ((input[0] & 1) == 0) {
      open(new FrameAuthenticator(KEY), new FrameAuthenticator(KEY), rest);
      return;
    }

    // The frame numbers come from the input and may repeat (a repeat is the replay the receiver
    // must refuse). One sealer id for the datagram, but a fresh authenticator per frame: a Cipher
    // refuses to encrypt twice under one key and nonce (GCM's rule), and a repeated number under
    // one sealer is exactly that.
    long sealerId = 0x5EA1ED;
    ByteArrayOutputStream datagram = new ByteArrayOutputStream();
    List<byte[]> inner = new ArrayList<>();
    List<Long> seqs = new ArrayList<>();
    int at = 0;
    while (rest.length - at >= 2) {
      int announced = ((rest[at] & 0xFF) << 8) | (rest[at + 1] & 0xFF);
      int length = Math.min(
          Math.min(announced, rest.length - at - 2), FrameAuthenticator.MAX_INNER_FRAME_BYTES);
      byte[] frame = Arrays.copyOfRange(rest, at + 2, at + 2 + length);
      at += 2 + length;
      long seq = at < rest.length ? rest[at++] & 0xFF : 0;
      byte[] sealed;
      try {
        sealed = new FrameAuthenticator(KEY, 1024, sealerId).seal(frame, seq);
      } catch (IllegalArgumentException notAPlainFrame) {
        continue; // a sealer takes only plain frames (its header is the cipher's context)
      }
      inner.add(frame);
      seqs.add(seq);
      datagram.writeBytes(sealed);
    }
    if (inner.isEmpty()) {
      return;
    }
    byte[] sealed = datagram.toByteArray();

    // What the inner frames are on their own.
    List<ClusterEnvelope> expected = new ArrayList<>();
    Set<List<Object>> distinct = new HashSet<>();
    boolean allDecode = true;
    for (int i = 0; i < inner.size() && allDecode; i++) {
      try {
        ClusterEnvelope e = ClusterCodec.decode(inner.get(i));
        expected.add(e);
        distinct.add(List.of(e.cluster(), e.sender(), e.incarnation(), seqs.get(i)));
      } catch (CodecException e) {
        allDecode = false;
      }
    }
    boolean acceptable = allDecode && distinct.size() == inner.size();

    FrameAuthenticator receiver = new FrameAuthenticator(KEY);
    FrameAuthenticator warmUp = new FrameAuthenticator(KEY);
    Outcome<List<ClusterEnvelope>> first = open(warmUp, receiver, sealed);
    assertThat(first.decoded())
        .as("sealed frames open exactly when each decodes and none repeats: %s", first.failure())
        .isEqualTo(acceptable);
    if (acceptable) {
      assertThat(first.get()).isEqualTo(expected);
      Outcome<List<ClusterEnvelope>> again = open(warmUp, receiver, sealed);
      assertThat(again.failure()).isInstanceOf(AuthenticationException.class);
      assertThat(((AuthenticationException) again.thrown()).reason())
          .isEqualTo(AuthFailure.REPLAYED);
    } else if (!allDecode) {
      // Each frame is opened, checked for a replay and decoded in turn, so a repeated frame
      // number ahead of the frame that does not decode is refused first, as a replay.
      if (first.failure() instanceof AuthenticationException replay
          && replay.reason() == AuthFailure.REPLAYED) {
        assertThat(new HashSet<>(seqs))
            .as("frame numbers of a datagram refused as a replay")
            .hasSizeLessThan(seqs.size());
      } else {
        assertThat(first.failure()).isInstanceOf(CodecException.class);
      }
    } else {
      assertThat(first.failure()).isInstanceOf(AuthenticationException.class);
      assertThat(((AuthenticationException) first.thrown()).reason())
          .isEqualTo(AuthFailure.REPLAYED);
    }
  }

  /**
   * Opens {@code datagram} with {@code receiver}, first (unmeasured, see {@link FuzzChecks}) with
   * {@code warmUp}, a receiver in the same state; checks that a rejection leaves the output list
   * as it was, and returns what was added.
   */
  private static Outcome<List<ClusterEnvelope>> open(
      FrameAuthenticator warmUp, FrameAuthenticator receiver, byte[] datagram) throws Exception {
    return decodeAfterWarmUp(
        datagram.length,
        () -> openAll(warmUp, datagram),
        () -> openAll(receiver, datagram),
        CodecException.class,
        AuthenticationException.class);
  }

  private static List<ClusterEnvelope> openAll(FrameAuthenticator receiver, byte[] datagram)
      throws CodecException, AuthenticationException {
    List<ClusterEnvelope> out = new ArrayList<>(List.of(SENTINEL));
    try {
      receiver.openAll(datagram, 0, datagram.length, out);
    } catch (CodecException | AuthenticationException e) {
      assertThat(out).as("output after a rejected datagram").containsExactly(SENTINEL);
      throw e;
    }
    assertThat(out).as("frames opened").hasSizeGreaterThan(1);
    return List.copyOf(out.subList(1, out.size()));
  }
}
