package io.github.ringleader.messaging.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.transport.CodecException;
import io.github.ringleader.messaging.transport.CodecException.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssertAlternative;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ClusterCodecTest {

  private static final HexFormat HEX = HexFormat.of();
  private static final long FUZZ_SEED = 0x5EED_C0DECL;
  private static final int FUZZ_ITERATIONS = 10_000;

  /** The envelope of the worked example in docs/wire-protocol.md. */
  private static final ClusterEnvelope DOC_EXAMPLE =
      envelope(new Heartbeat(42, 7000, NodeId.of("server9"), 3, 17, 100, "10.0.0.2", 2000, 3));

  // ------------------------------------------------------------------ samples

  private static ClusterEnvelope envelope(ClusterMessage message) {
    return new ClusterEnvelope("prod", NodeId.of("server2"), 1_700_000_000_000L, message);
  }

  /** One or more typical envelopes of every type. */
  static Stream<ClusterEnvelope> samples() {
    return Stream.of(
        DOC_EXAMPLE,
        envelope(new Heartbeat(0, 0, null, 4, 0, 100)),
        envelope(new Discover()),
        envelope(new IdInUse(1_699_999_999_999L)),
        envelope(new Election(3, 12, NodeId.of("server9"))),
        envelope(new ElectionAck(3, 12)),
        envelope(new LeaderAnnouncement(3)),
        envelope(new Leave()));
  }

  private static String longest(char c) {
    return String.valueOf(c).repeat(64);
  }

  /** The largest value of every type: 64-character names and ids, every number at its maximum. */
  static Stream<ClusterEnvelope> largest() {
    NodeId longestId = NodeId.of("z" + longest('9').substring(1));
    return Stream.<ClusterMessage>of(
            new Heartbeat(
                Long.MAX_VALUE,
                65_535,
                longestId,
                Bounds.MAX_TERM,
                Integer.MAX_VALUE,
                Integer.MAX_VALUE,
                "h".repeat(Heartbeat.MAX_HOST_LENGTH),
                Integer.MAX_VALUE,
                Heartbeat.MAX_MISSED),
            new Heartbeat(Long.MAX_VALUE, 65_535, null, Bounds.MAX_TERM, 0, 0, "[::1]"),
            new Discover(),
            new IdInUse(Long.MAX_VALUE),
            new Election(Bounds.MAX_TERM, Long.MAX_VALUE, longestId),
            new ElectionAck(Bounds.MAX_TERM, Long.MAX_VALUE),
            new LeaderAnnouncement(Bounds.MAX_TERM),
            new Leave())
        .map(m -> new ClusterEnvelope(longest('c'), NodeId.of(longest('s')), Long.MAX_VALUE, m));
  }

  /** The smallest value of every type: one-character names and ids, every number zero. */
  static Stream<ClusterEnvelope> smallest() {
    return Stream.<ClusterMessage>of(
            new Heartbeat(0, 0, NodeId.of("a"), 0, 0, 0),
            new Heartbeat(0, 0, null, 0, 0, 0, "", 1, 1),
            new Discover(),
            new IdInUse(0),
            new Election(0, 0, NodeId.of("-")),
            new ElectionAck(0, 0),
            new LeaderAnnouncement(0),
            new Leave())
        .map(m -> new ClusterEnvelope("_", NodeId.of("0"), 0, m));
  }

  private static Stream<byte[]> validFrames() {
    return Stream.of(samples(), largest(), smallest()).flatMap(s -> s).map(ClusterCodec::encode);
  }

  /** What the fuzz loops start from: the frames above and those of the routing messages. */
  private static List<byte[]> fuzzFrames() {
    return Stream.concat(validFrames(), RoutingCodecTest.fuzzSamples().map(ClusterCodec::encode))
        .toList();
  }

  // ------------------------------------------------------------------ round trips

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void everyMessageTypeSurvivesARoundTrip(ClusterEnvelope envelope) throws CodecException {
    assertThat(ClusterCodec.decode(ClusterCodec.encode(envelope))).isEqualTo(envelope);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("largest")
  void largestValuesSurviveARoundTrip(ClusterEnvelope envelope) throws CodecException {
    assertThat(ClusterCodec.decode(ClusterCodec.encode(envelope))).isEqualTo(envelope);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("smallest")
  void smallestValuesSurviveARoundTrip(ClusterEnvelope envelope) throws CodecException {
    assertThat(ClusterCodec.decode(ClusterCodec.encode(envelope))).isEqualTo(envelope);
  }

  @Test
  void aDatagramOfFramesBackToBackDecodesToAllOfThemInOrder() throws CodecException {
    List<ClusterEnvelope> sent = List.of(
        envelope(new Heartbeat(0, 0, null, 4, 0, 100)),
        envelope(new Discover()),
        envelope(new ElectionAck(3, 12)));
    ByteBuffer datagram = ByteBuffer.allocate(1024);
    for (ClusterEnvelope e : sent) {
      datagram.put(ClusterCodec.encode(e));
    }
    List<ClusterEnvelope> decoded = new ArrayList<>(List.of(envelope(new Leave())));
    ClusterCodec.decodeAll(datagram.array(), 0, datagram.position(), decoded);
    assertThat(decoded.subList(1, decoded.size())).isEqualTo(sent);
  }

  @Test
  void aDatagramWithABrokenFrameOrTrailingBytesYieldsNoneOfItsFrames() {
    byte[] one = ClusterCodec.encode(envelope(new Discover()));
    byte[] two = ClusterCodec.encode(envelope(new LeaderAnnouncement(3)));
    byte[] badMagic = two.clone();
    badMagic[4] = 0;
    byte[] cut = Arrays.copyOf(two, two.length - 1);

    Map<Reason, byte[]> broken = new EnumMap<>(Reason.class);
    broken.put(Reason.BAD_MAGIC, concat(one, badMagic, one));
    broken.put(Reason.TRUNCATED, concat(one, cut));
    broken.put(Reason.LENGTH_MISMATCH, concat(one, two, new byte[] {0, 0}));
    for (Map.Entry<Reason, byte[]> e : broken.entrySet()) {
      List<ClusterEnvelope> decoded = new ArrayList<>();
      assertThatThrownBy(
              () -> ClusterCodec.decodeAll(e.getValue(), 0, e.getValue().length, decoded))
          .isInstanceOf(CodecException.class)
          .satisfies(t -> assertThat(((CodecException) t).reason()).isEqualTo(e.getKey()));
      assertThat(decoded).as("nothing of a broken datagram is handed on").isEmpty();
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteBuffer out =
        ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> p.length).sum());
    for (byte[] part : parts) {
      out.put(part);
    }
    return out.array();
  }

  @Test
  void heartbeatWithoutAKnownLeaderCarriesAnEmptyIdAndDecodesToNull() throws CodecException {
    ClusterEnvelope envelope = envelope(new Heartbeat(5, 7000, null, 2, 1, 10));
    byte[] frame = ClusterCodec.encode(envelope);

    int leaderCountAt = 4 + 4 + (1 + 4) + (1 + 7) + 8 + 8 + 2;
    assertThat(frame[leaderCountAt]).isZero();
    Heartbeat decoded = (Heartbeat) ClusterCodec.decode(frame).message();
    assertThat(decoded.knownLeader()).isNull();
    assertThat(decoded).isEqualTo(envelope.message());
  }

  @Test
  void frameInsideALargerBufferDecodesFromItsOffset() throws CodecException {
    byte[] frame = ClusterCodec.encode(DOC_EXAMPLE);
    byte[] buffer = new byte[frame.length + 20];
    Arrays.fill(buffer, (byte) 0xEE);
    System.arraycopy(frame, 0, buffer, 7, frame.length);

    assertThat(ClusterCodec.decode(buffer, 7, frame.length)).isEqualTo(DOC_EXAMPLE);
  }

  @Test
  void decodeReadsNothingOutsideItsRange() {
    byte[] frame = ClusterCodec.encode(DOC_EXAMPLE);
    byte[] buffer = Arrays.copyOf(frame, frame.length); // the whole frame is there ...

    // ... but the range ends one byte early, so the codec must not use the last byte.
    assertThatThrownBy(() -> ClusterCodec.decode(buffer, 0, frame.length - 1))
        .isInstanceOf(CodecException.class)
        .extracting(e -> ((CodecException) e).reason())
        .isEqualTo(Reason.TRUNCATED);
  }

  @Test
  void headerIsLengthMagicVersionAndTypeCode() {
    byte[] frame = ClusterCodec.encode(envelope(new Leave()));

    assertThat(ByteBuffer.wrap(frame).getInt()).isEqualTo(frame.length - 4);
    assertThat(Arrays.copyOfRange(frame, 4, 8)).containsExactly('R', 'L', 1, Leave.TYPE);
  }

  // The bytes below are written out by hand from docs/wire-protocol.md, not produced by the
  // codec, so a change to the wire format fails here and has to be made in the spec too.

  private static final String COMMON = "04" + "70726f64" // cluster "prod"
      + "07" + "73657276657232" // sender "server2"
      + "0000018bcfe56800"; // incarnation 1700000000000

  static Stream<Arguments> pinnedFrames() {
    return Stream.of(
        Arguments.of(
            DOC_EXAMPLE,
            "0000004a" + "524c" + "01" + "01" + COMMON
                + "000000000000002a" // sequence 42
                + "1b58" // clientPort 7000
                + "07" + "73657276657239" // knownLeader "server9"
                + "0000000000000003" // term 3
                + "00000011" // clients 17
                + "00000064" // capacity 100
                + "08" + "31302e302e302e32" // clientHost "10.0.0.2"
                + "000007d0" // intervalMillis 2000
                + "0003"), // missedHeartbeats 3
        Arguments.of(
            envelope(new Heartbeat(0, 0, null, 4, 0, 100)),
            "0000003b" + "524c" + "01" + "01" + COMMON
                + "0000000000000000" + "0000" + "00" + "0000000000000004" + "00000000"
                + "00000064" + "00" + "00000000" + "0000"),
        Arguments.of(envelope(new Discover()), "00000019" + "524c" + "01" + "02" + COMMON),
        Arguments.of(
            envelope(new IdInUse(1_699_999_999_999L)),
            "00000021" + "524c" + "01" + "03" + COMMON + "0000018bcfe567ff"),
        Arguments.of(
            envelope(new Election(3, 12, NodeId.of("server9"))),
            "00000031" + "524c" + "01" + "04" + COMMON + "0000000000000003" + "000000000000000c"
                + "07" + "73657276657239"),
        Arguments.of(
            envelope(new ElectionAck(3, 12)),
            "00000029" + "524c" + "01" + "05" + COMMON + "0000000000000003" + "000000000000000c"),
        Arguments.of(
            envelope(new LeaderAnnouncement(3)),
            "00000021" + "524c" + "01" + "06" + COMMON + "0000000000000003"),
        Arguments.of(envelope(new Leave()), "00000019" + "524c" + "01" + "07" + COMMON));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pinnedFrames")
  void eachMessageTypeEncodesToTheBytesTheSpecDescribes(ClusterEnvelope envelope, String hex)
      throws CodecException {
    assertThat(HEX.formatHex(ClusterCodec.encode(envelope))).isEqualTo(hex);
    assertThat(ClusterCodec.decode(HEX.parseHex(hex))).isEqualTo(envelope);
  }

  @Test
  void largestMembershipOrElectionEnvelopeEncodesFarBelowTheFrameLimit() {
    // Header: length 4 + magic 2 + version 1 + type 1 + cluster (1 + 64) + sender (1 + 64)
    //   + incarnation 8 = 146.
    // Largest body, a Heartbeat with a leader: sequence 8 + clientPort 2 + knownLeader (1 + 64)
    //   + term 8 + clients 4 + capacity 4 + clientHost (1 + 253) + intervalMillis 4
    //   + missedHeartbeats 2 = 351. (Election: 8 + 8 + (1 + 64) = 81.)
    int largestPossible = 146 + 351;

    int largestEncoded =
        largest().mapToInt(e -> ClusterCodec.encode(e).length).max().orElseThrow();

    assertThat(largestEncoded).isEqualTo(largestPossible).isEqualTo(497);
    assertThat(largestEncoded).isLessThan(ClusterCodec.MAX_FRAME_BYTES / 100);
  }

  // ------------------------------------------------------------------ one rejection per reason

  @Test
  void inputShorterThanTheLengthPrefixIsRejectedAsTruncated() {
    assertRejected(new byte[] {0, 0, 0}, Reason.TRUNCATED)
        .withMessage("frame has 3 bytes, fewer than its 4-byte length prefix");
  }

  @Test
  void truncatedFrameIsRejectedAsTruncated() {
    byte[] frame = ClusterCodec.encode(DOC_EXAMPLE);

    assertRejected(Arrays.copyOf(frame, 40), Reason.TRUNCATED)
        .withMessage("frame announces 74 bytes after its length prefix, only 36 follow");
  }

  @Test
  void stringRunningPastTheEndOfTheFrameIsRejectedAsTruncated() {
    byte[] frame = new RawFrame(Leave.TYPE).str("prod").u8(30).ascii("server2").build();

    assertRejected(frame, Reason.TRUNCATED)
        .withMessage("frame ends inside sender id at byte 14: needs 30 bytes, 7 left");
  }

  @Test
  void frameAnnouncingMoreThanTheLimitIsRejectedAsOversized() {
    byte[] frame = Arrays.copyOf(ClusterCodec.encode(DOC_EXAMPLE), 100);
    ByteBuffer.wrap(frame).putInt(70_000);

    assertRejected(frame, Reason.OVERSIZED)
        .withMessage(
            "frame announces 70000 bytes after its length prefix (70004 in all), limit is 65507"
                + " in all");
  }

  @Test
  void frameWithOtherMagicIsRejectedAsBadMagic() {
    byte[] frame = ClusterCodec.encode(DOC_EXAMPLE);
    frame[4] = 'X';

    assertRejected(frame, Reason.BAD_MAGIC)
        .withMessage("frame starts with magic 0x58 0x4C, expected 0x52 0x4C (\"RL\")");
  }

  @Test
  void frameOfAnotherVersionIsRejectedAsUnsupportedVersion() {
    byte[] frame = ClusterCodec.encode(DOC_EXAMPLE);
    frame[6] = 2;

    assertRejected(frame, Reason.UNSUPPORTED_VERSION)
        .withMessage("frame is protocol version 2, this codec speaks version 1");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 14, 42, 127, 128, 255})
  void frameWithAnUnassignedTypeCodeIsRejectedAsUnknownType(int type) {
    byte[] frame = ClusterCodec.encode(envelope(new Leave()));
    frame[7] = (byte) type;

    assertRejected(frame, Reason.UNKNOWN_TYPE).withMessage("unknown message type " + type);
  }

  @Test
  void senderWithAControlCharacterIsRejectedAsInvalidId() {
    byte[] frame = new RawFrame(Leave.TYPE).str("prod").str("ser\0ver").i64(1).build();

    assertRejected(frame, Reason.INVALID_ID)
        .withMessage("sender id has invalid character U+0000 at index 3");
  }

  @Test
  void senderWithANonAsciiByteIsRejectedAsInvalidIdWithoutQuotingIt() {
    byte[] frame = new RawFrame(Leave.TYPE)
        .str("prod")
        .u8(7)
        .ascii("server")
        .u8(0xC3)
        .i64(1)
        .build();

    assertRejected(frame, Reason.INVALID_ID)
        .withMessage("sender id has non-ASCII byte 0xC3 at index 6");
  }

  @Test
  void senderWithASlashIsRejectedAsInvalidIdNamingTheSlash() {
    byte[] frame = new RawFrame(Leave.TYPE).str("prod").str("rack/1").i64(1).build();

    assertRejected(frame, Reason.INVALID_ID)
        .withMessageStartingWith("sender id is invalid: node id may only contain")
        .withMessageEndingWith("found '/' at position 5 in \"rack/1\"");
  }

  @Test
  void emptySenderIsRejectedAsInvalidId() {
    byte[] frame = new RawFrame(Leave.TYPE).str("prod").str("").i64(1).build();

    assertRejected(frame, Reason.INVALID_ID).withMessage("sender id is empty");
  }

  @Test
  void senderOfSixtyFiveCharactersIsRejectedAsInvalidId() {
    byte[] frame =
        new RawFrame(Leave.TYPE).str("prod").str("s".repeat(65)).i64(1).build();

    assertRejected(frame, Reason.INVALID_ID)
        .withMessage("sender id is invalid: node id must be at most 64 characters, was 65");
  }

  @Test
  void invalidCandidateIsRejectedAsInvalidId() {
    byte[] frame = new RawFrame(Election.TYPE)
        .str("prod")
        .str("a")
        .i64(1)
        .i64(1)
        .i64(1)
        .str("")
        .build();

    assertRejected(frame, Reason.INVALID_ID).withMessage("candidate id is empty");
  }

  @Test
  void invalidKnownLeaderIsRejectedAsInvalidId() {
    byte[] frame = new RawFrame(Heartbeat.TYPE)
        .str("prod")
        .str("a")
        .i64(1)
        .i64(0)
        .u16(7000)
        .str("b c")
        .i64(0)
        .i32(0)
        .i32(1)
        .build();

    assertRejected(frame, Reason.INVALID_ID)
        .withMessageStartingWith("heartbeat knownLeader id is invalid")
        .withMessageEndingWith("found ' ' at position 2 in \"b c\"");
  }

  @Test
  void negativeIncarnationIsRejectedAsInvalidField() {
    byte[] frame = new RawFrame(Leave.TYPE).str("prod").str("a").i64(-1).build();

    assertRejected(frame, Reason.INVALID_FIELD)
        .withMessage("invalid envelope: incarnation must be >= 0, was -1");
  }

  static Stream<Arguments> negativeFields() {
    RawFrame heartbeat = new RawFrame(Heartbeat.TYPE).str("prod").str("a").i64(1);
    return Stream.of(
        Arguments.of(
            "heartbeat sequence",
            heartbeat
                .copy()
                .i64(-1)
                .u16(1)
                .str("")
                .i64(0)
                .i32(0)
                .i32(0)
                .str("")
                .i32(0)
                .u16(0)
                .build(),
            "invalid Heartbeat: sequence must be >= 0, was -1"),
        Arguments.of(
            "heartbeat term",
            heartbeat
                .copy()
                .i64(0)
                .u16(1)
                .str("")
                .i64(Long.MIN_VALUE)
                .i32(0)
                .i32(0)
                .str("")
                .i32(0)
                .u16(0)
                .build(),
            "invalid Heartbeat: term must be >= 0, was " + Long.MIN_VALUE),
        Arguments.of(
            "heartbeat clients",
            heartbeat
                .copy()
                .i64(0)
                .u16(1)
                .str("")
                .i64(0)
                .i32(-3)
                .i32(0)
                .str("")
                .i32(0)
                .u16(0)
                .build(),
            "invalid Heartbeat: clients must be >= 0, was -3"),
        Arguments.of(
            "heartbeat capacity",
            heartbeat
                .copy()
                .i64(0)
                .u16(1)
                .str("")
                .i64(0)
                .i32(0)
                .i32(-1)
                .str("")
                .i32(0)
                .u16(0)
                .build(),
            "invalid Heartbeat: capacity must be >= 0, was -1"),
        Arguments.of(
            "heartbeat intervalMillis",
            heartbeat
                .copy()
                .i64(0)
                .u16(1)
                .str("")
                .i64(0)
                .i32(0)
                .i32(0)
                .str("")
                .i32(-1)
                .u16(3)
                .build(),
            "invalid Heartbeat: intervalMillis must be >= 0, was -1"),
        Arguments.of(
            "probingIncarnation",
            new RawFrame(IdInUse.TYPE).str("prod").str("a").i64(1).i64(-2).build(),
            "invalid IdInUse: probingIncarnation must be >= 0, was -2"),
        Arguments.of(
            "election term",
            new RawFrame(Election.TYPE)
                .str("p")
                .str("a")
                .i64(1)
                .i64(-1)
                .i64(0)
                .str("b")
                .build(),
            "invalid Election: term must be >= 0, was -1"),
        Arguments.of(
            "election messageId",
            new RawFrame(Election.TYPE)
                .str("p")
                .str("a")
                .i64(1)
                .i64(0)
                .i64(-1)
                .str("b")
                .build(),
            "invalid Election: messageId must be >= 0, was -1"),
        Arguments.of(
            "election ack messageId",
            new RawFrame(ElectionAck.TYPE)
                .str("p")
                .str("a")
                .i64(1)
                .i64(0)
                .i64(-9)
                .build(),
            "invalid ElectionAck: messageId must be >= 0, was -9"),
        Arguments.of(
            "leader announcement term",
            new RawFrame(LeaderAnnouncement.TYPE)
                .str("p")
                .str("a")
                .i64(1)
                .i64(-1)
                .build(),
            "invalid LeaderAnnouncement: term must be >= 0, was -1"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("negativeFields")
  void negativeCounterOrTermIsRejectedAsInvalidField(String field, byte[] frame, String message) {
    assertRejected(frame, Reason.INVALID_FIELD).withMessage(message);
  }

  @Test
  void heartbeatThatSaysHalfItsTimingsIsRejectedAsInvalidField() {
    RawFrame heartbeat = new RawFrame(Heartbeat.TYPE)
        .str("prod")
        .str("a")
        .i64(1)
        .i64(0)
        .u16(1)
        .str("")
        .i64(0);
    byte[] intervalOnly =
        heartbeat.copy().i32(0).i32(0).str("").i32(2000).u16(0).build();
    byte[] missedOnly = heartbeat.copy().i32(0).i32(0).str("").i32(0).u16(3).build();

    assertRejected(intervalOnly, Reason.INVALID_FIELD)
        .withMessage(
            "invalid Heartbeat: intervalMillis and missedHeartbeats are both 0 (timings not said)"
                + " or both > 0, were 2000 and 0");
    assertRejected(missedOnly, Reason.INVALID_FIELD).withMessageEndingWith("were 0 and 3");
  }

  @Test
  void clusterNameWithASlashIsRejectedAsInvalidField() {
    byte[] frame = new RawFrame(Leave.TYPE).str("prod/eu").str("a").i64(1).build();

    assertRejected(frame, Reason.INVALID_FIELD)
        .withMessage("cluster name must be 1 to 64 characters of " + IdChars.ALLOWED + ", was"
            + " \"prod/eu\"");
  }

  @Test
  void emptyOrOverlongClusterNameIsRejectedAsInvalidField() {
    byte[] empty = new RawFrame(Leave.TYPE).str("").str("a").i64(1).build();
    byte[] overlong =
        new RawFrame(Leave.TYPE).str("c".repeat(65)).str("a").i64(1).build();

    assertRejected(empty, Reason.INVALID_FIELD).withMessageContaining("was \"\"");
    assertRejected(overlong, Reason.INVALID_FIELD).withMessageStartingWith("cluster name must");
  }

  @Test
  void clusterNameWithANonAsciiByteIsRejectedAsInvalidField() {
    byte[] frame =
        new RawFrame(Leave.TYPE).u8(2).u8(0xFF).u8('x').str("a").i64(1).build();

    assertRejected(frame, Reason.INVALID_FIELD)
        .withMessage("cluster name has non-ASCII byte 0xFF at index 0");
  }

  @Test
  void bytesAfterTheFrameAreRejectedAsLengthMismatch() {
    byte[] frame = ClusterCodec.encode(DOC_EXAMPLE);

    assertRejected(Arrays.copyOf(frame, frame.length + 2), Reason.LENGTH_MISMATCH)
        .withMessage("frame announces 74 bytes after its length prefix, but 76 follow");
  }

  @Test
  void bytesAfterTheBodyInsideTheFrameAreRejectedAsLengthMismatch() {
    byte[] frame = new RawFrame(Leave.TYPE).str("prod").str("a").i64(1).u8(0).build();

    assertRejected(frame, Reason.LENGTH_MISMATCH)
        .withMessage("1 byte follows the end of the Leave body at byte 23");
  }

  // ------------------------------------------------------------------ truncation everywhere

  @Test
  void everyTruncationOfAValidFrameIsRejectedAsTruncated() {
    validFrames().forEach(frame -> {
      for (int length = 0; length < frame.length; length++) {
        assertRejected(Arrays.copyOf(frame, length), Reason.TRUNCATED);
      }
    });
  }

  @Test
  void everyTruncationWithAMatchingLengthPrefixIsRejectedAsTruncated() {
    validFrames().forEach(frame -> {
      for (int length = 4; length < frame.length; length++) {
        byte[] cut = Arrays.copyOf(frame, length);
        ByteBuffer.wrap(cut).putInt(length - 4);
        assertRejected(cut, Reason.TRUNCATED);
      }
    });
  }

  // ------------------------------------------------------------------ fuzzing

  @Test
  void randomBytesAreDecodedOrRejectedButNeverThrowUnchecked() {
    Random random = new Random(FUZZ_SEED);
    Map<Reason, Integer> rejections = new EnumMap<>(Reason.class);
    for (int i = 0; i < FUZZ_ITERATIONS; i++) {
      byte[] input = new byte[random.nextInt(120)];
      random.nextBytes(input);
      int shape = random.nextInt(3);
      if (shape >= 1 && input.length >= 4) { // a length prefix that fits, to get past it
        ByteBuffer.wrap(input).putInt(input.length - 4);
      }
      if (shape == 2 && input.length >= 8) { // and a valid header, to get into the fields
        input[4] = 'R';
        input[5] = 'L';
        input[6] = 1;
        input[7] = (byte) (1 + random.nextInt(StreamState.TYPE));
      }
      decodeOrReject(input, "iteration " + i).ifPresent(r -> rejections.merge(r, 1, Integer::sum));
    }
    assertThat(rejections).containsKeys(Reason.TRUNCATED, Reason.OVERSIZED, Reason.BAD_MAGIC);
  }

  @Test
  void mutatedValidFramesAreDecodedOrRejectedButNeverThrowUnchecked() {
    Random random = new Random(FUZZ_SEED);
    List<byte[]> frames = fuzzFrames();
    EnumSet<Reason> reasonsSeen = EnumSet.noneOf(Reason.class);
    int decoded = 0;
    java.util.Set<Integer> typesDecoded = new java.util.TreeSet<>();
    for (int i = 0; i < FUZZ_ITERATIONS; i++) {
      byte[] input = frames.get(random.nextInt(frames.size()));
      for (int m = 1 + random.nextInt(3); m > 0; m--) {
        input = mutate(input, random);
      }
      if (input.length >= 4 && random.nextBoolean()) {
        ByteBuffer.wrap(input).putInt(input.length - 4);
      }
      var rejection = decodeOrReject(input, "iteration " + i);
      if (rejection.isPresent()) {
        reasonsSeen.add(rejection.get());
      } else {
        decoded++;
        typesDecoded.add(input[7] & 0xFF);
      }
    }
    // The seed reaches every check, and some mutations (an id character for another, a byte of
    // a text) are valid, in frames of every type.
    assertThat(reasonsSeen).containsExactlyInAnyOrder(Reason.values());
    assertThat(decoded).isPositive();
    assertThat(typesDecoded)
        .containsExactlyElementsOf(IntStream.rangeClosed(1, 13).boxed().toList());
  }

  private static final int[] EDGE_BYTES = {0x00, 0x01, 0x20, 0x2F, 0x7F, 0x80, 0xC3, 0xFF};

  private static byte[] mutate(byte[] frame, Random random) {
    if (frame.length == 0) {
      return new byte[] {(byte) random.nextInt(256)};
    }
    int at = random.nextInt(frame.length);
    byte[] out;
    switch (random.nextInt(6)) {
      case 0 -> {
        out = frame.clone();
        out[at] = (byte) random.nextInt(256);
      }
      case 1 -> {
        out = frame.clone();
        out[at] = (byte) EDGE_BYTES[random.nextInt(EDGE_BYTES.length)];
      }
      case 2 -> { // insert a byte
        out = new byte[frame.length + 1];
        System.arraycopy(frame, 0, out, 0, at);
        out[at] = (byte) random.nextInt(256);
        System.arraycopy(frame, at, out, at + 1, frame.length - at);
      }
      case 3 -> { // delete a byte
        out = new byte[frame.length - 1];
        System.arraycopy(frame, 0, out, 0, at);
        System.arraycopy(frame, at + 1, out, at, frame.length - at - 1);
      }
      case 4 -> out = Arrays.copyOf(frame, at);
      default -> { // append bytes
        out = Arrays.copyOf(frame, frame.length + 1 + random.nextInt(5));
        for (int k = frame.length; k < out.length; k++) {
          out[k] = (byte) random.nextInt(256);
        }
      }
    }
    return out;
  }

  /**
   * Decodes {@code input}; returns the reason if it is rejected. A frame that decodes must
   * re-encode to the same bytes (the encoding is canonical); anything unchecked fails the test.
   */
  private static Optional<Reason> decodeOrReject(byte[] input, String context) {
    ClusterEnvelope envelope;
    try {
      envelope = ClusterCodec.decode(input);
    } catch (CodecException e) {
      assertThat(e.getMessage()).as("message of %s", e.reason()).isNotBlank();
      return Optional.of(e.reason());
    } catch (RuntimeException e) {
      throw new AssertionError(
          context + ": decode threw " + e + " for input " + HEX.formatHex(input), e);
    }
    assertThat(HEX.formatHex(ClusterCodec.encode(envelope)))
        .as("%s: re-encoding of a decoded frame", context)
        .isEqualTo(HEX.formatHex(input));
    return Optional.empty();
  }

  // ------------------------------------------------------------------ stream framing

  @Test
  void frameLengthIsMinusOneUntilTheLengthPrefixHasArrived() throws CodecException {
    byte[] frame = ClusterCodec.encode(DOC_EXAMPLE);

    for (int available = 0; available < 4; available++) {
      assertThat(ClusterCodec.frameLength(frame, 0, available)).isEqualTo(-1);
    }
  }

  @Test
  void frameLengthIsTheWholeFrameSizeOnceThePrefixHasArrived() throws CodecException {
    for (byte[] frame : validFrames().toList()) {
      assertThat(ClusterCodec.frameLength(frame, 0, 4)).isEqualTo(frame.length);
      assertThat(ClusterCodec.frameLength(frame, 0, frame.length)).isEqualTo(frame.length);
    }
  }

  @Test
  void frameLengthRejectsAnOversizedAnnouncementBeforeTheFrameArrives() {
    byte[] prefix = ByteBuffer.allocate(4).putInt(70_000).array();

    assertThatThrownBy(() -> ClusterCodec.frameLength(prefix, 0, 4))
        .isInstanceOfSatisfying(
            CodecException.class, e -> assertThat(e.reason()).isEqualTo(Reason.OVERSIZED))
        .hasMessage(
            "frame announces 70000 bytes after its length prefix (70004 in all), limit is 65507"
                + " in all");
  }

  @Test
  void lengthPrefixAboveTwoGigabytesIsOversizedNotNegative() {
    byte[] prefix = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};

    assertThatThrownBy(() -> ClusterCodec.frameLength(prefix, 0, 4))
        .isInstanceOfSatisfying(
            CodecException.class, e -> assertThat(e.reason()).isEqualTo(Reason.OVERSIZED))
        .hasMessageStartingWith("frame announces 4294967295 bytes");
    assertRejected(prefix, Reason.OVERSIZED);
  }

  @Test
  void frameOfExactlyTheLimitPassesTheLengthCheckAndOneByteMoreDoesNot() throws CodecException {
    byte[] largest = Arrays.copyOf(ClusterCodec.encode(envelope(new Leave())), 65_507);
    ByteBuffer.wrap(largest).putInt(65_503);
    byte[] tooLarge = Arrays.copyOf(largest, 65_508);
    ByteBuffer.wrap(tooLarge).putInt(65_504);

    assertThat(ClusterCodec.frameLength(largest, 0, 4)).isEqualTo(65_507);
    assertRejected(largest, Reason.LENGTH_MISMATCH) // its body is a Leave and padding
        .withMessageStartingWith("65478 bytes follow the end of the Leave body");
    assertThatThrownBy(() -> ClusterCodec.frameLength(tooLarge, 0, 4))
        .isInstanceOfSatisfying(
            CodecException.class, e -> assertThat(e.reason()).isEqualTo(Reason.OVERSIZED));
    assertRejected(tooLarge, Reason.OVERSIZED);
  }

  @Test
  void framesBackToBackOnAStreamAreSplitByFrameLength() throws CodecException {
    List<ClusterEnvelope> sent = samples().toList();
    ByteBuffer stream = ByteBuffer.allocate(4096);
    sent.forEach(e -> stream.put(ClusterCodec.encode(e)));
    byte[] bytes = Arrays.copyOf(stream.array(), stream.position());

    List<ClusterEnvelope> received = new ArrayList<>();
    int offset = 0;
    while (offset < bytes.length) {
      int length = ClusterCodec.frameLength(bytes, offset, bytes.length - offset);
      received.add(ClusterCodec.decode(bytes, offset, length));
      offset += length;
    }

    assertThat(received).isEqualTo(sent);
  }

  @Test
  void rangeOutsideTheArrayIsTheCallersFaultNotACodecError() {
    byte[] frame = ClusterCodec.encode(DOC_EXAMPLE);

    assertThatThrownBy(() -> ClusterCodec.decode(frame, 1, frame.length))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> ClusterCodec.frameLength(frame, -1, 4))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  // ------------------------------------------------------------------ helpers

  static ThrowableAssertAlternative<CodecException> assertRejected(byte[] input, Reason reason) {
    return org.assertj.core.api.Assertions.assertThatExceptionOfType(CodecException.class)
        .as("decoding %s", HEX.formatHex(input))
        .isThrownBy(() -> ClusterCodec.decode(input))
        .satisfies(e -> assertThat(e.reason()).as("reason").isEqualTo(reason));
  }

  /**
   * Writes raw frames field by field after a valid header, including frames the codec would never
   * write; {@link #build()} puts the length prefix in front.
   */
  static final class RawFrame {
    private final ByteBuffer body;

    RawFrame(int type) {
      this(ByteBuffer.allocate(ClusterCodec.MAX_FRAME_BYTES + 1024));
      u8('R').u8('L').u8(1).u8(type);
    }

    private RawFrame(ByteBuffer body) {
      this.body = body;
    }

    RawFrame copy() {
      return new RawFrame(ByteBuffer.allocate(body.capacity()).put(written()));
    }

    private byte[] written() {
      ByteBuffer view = body.duplicate().flip();
      byte[] bytes = new byte[view.remaining()];
      view.get(bytes);
      return bytes;
    }

    RawFrame u8(int value) {
      body.put((byte) value);
      return this;
    }

    RawFrame u16(int value) {
      body.putShort((short) value);
      return this;
    }

    RawFrame i32(int value) {
      body.putInt(value);
      return this;
    }

    RawFrame i64(long value) {
      body.putLong(value);
      return this;
    }

    /** Bytes of {@code text} without a count. */
    RawFrame ascii(String text) {
      body.put(text.getBytes(StandardCharsets.ISO_8859_1));
      return this;
    }

    /** A count byte and the bytes of {@code text}. */
    RawFrame str(String text) {
      return u8(text.length()).ascii(text);
    }

    /** A two-byte count and the UTF-8 bytes of {@code text}. */
    RawFrame utf8(String text) {
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      return u16(bytes.length).bytes(bytes);
    }

    /** Raw bytes without a count. */
    RawFrame bytes(byte[] bytes) {
      body.put(bytes);
      return this;
    }

    byte[] build() {
      byte[] written = written();
      byte[] frame = new byte[4 + written.length];
      ByteBuffer.wrap(frame).putInt(written.length).put(written);
      return frame;
    }
  }
}
