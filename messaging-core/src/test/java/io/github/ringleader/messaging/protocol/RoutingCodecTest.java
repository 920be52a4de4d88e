package io.github.ringleader.messaging.protocol;

import static io.github.ringleader.messaging.protocol.ClusterCodecTest.assertRejected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterCodecTest.RawFrame;
import io.github.ringleader.messaging.protocol.StreamEntry.Carried;
import io.github.ringleader.messaging.protocol.StreamEntry.Chat;
import io.github.ringleader.messaging.protocol.StreamEntry.ChatRejected;
import io.github.ringleader.messaging.protocol.StreamEntry.Detached;
import io.github.ringleader.messaging.protocol.StreamEntry.Directory;
import io.github.ringleader.messaging.protocol.StreamEntry.JoinRefused;
import io.github.ringleader.messaging.protocol.StreamEntry.Joined;
import io.github.ringleader.messaging.protocol.StreamEntry.Left;
import io.github.ringleader.messaging.protocol.StreamEntry.Resumed;
import io.github.ringleader.messaging.protocol.StreamEntry.Session;
import io.github.ringleader.messaging.protocol.SyncReply.SequencedEntry;
import io.github.ringleader.messaging.session.ResumeToken;
import io.github.ringleader.messaging.transport.CodecException;
import io.github.ringleader.messaging.transport.CodecException.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The codec for the routing messages (types 8 to 13) and the stream entries they carry. */
class RoutingCodecTest {

  private static final HexFormat HEX = HexFormat.of();
  private static final int MAX = ClusterCodec.MAX_FRAME_BYTES;

  private static final NodeId SERVER2 = NodeId.of("server2");
  private static final NodeId SERVER3 = NodeId.of("server3");
  private static final NodeId LONGEST_ID = NodeId.of("z" + "9".repeat(63));
  private static final String LONGEST_NAME = "Zz9._-" + "x".repeat(26);

  /** Four bytes of UTF-8 each (a surrogate pair in Java), so 1024 of them fill a chat text. */
  private static final String GRINNING = "\uD83D\uDE00";

  // ------------------------------------------------------------------ samples

  private static ClusterEnvelope envelope(ClusterMessage message) {
    return new ClusterEnvelope("prod", SERVER2, 1_700_000_000_000L, message);
  }

  /** Typical entries of every kind. */
  static Stream<StreamEntry> typicalEntries() {
    return Stream.of(
        new Joined("alice", 5, SERVER2),
        new JoinRefused("Alice", 9, SERVER3, "the name is taken"),
        new Chat("alice", 5, 1, null, "hello, everyone"),
        new Chat("alice", 5, 2, "bob", "h\u00e9 \u2603 " + GRINNING), // 1-, 2-, 3-, 4-byte chars
        new Chat("alice", 5, 3, null, ""),
        // The client skipped numbers, and its server passed on 4 before this one.
        new Chat("alice", 5, 9, "bob", "again", 4),
        // No predecessor (0): the session's first chat, from a client that did not start at 1.
        new Chat("alice", 5, 12, null, "back", 0),
        new ChatRejected("alice", 5, 4, "no client is called \"carol\""),
        new Left("bob", 6, "said goodbye"),
        new Left("bob", 7, ""),
        new Detached("bob", 6, "lost its connection"),
        new Detached("bob", 7, ""),
        new Resumed("bob", 6, SERVER3, 0), // as proposed
        new Resumed("bob", 6, SERVER3, 12), // as sequenced
        new Carried(7, 41, new Chat("bob", 6, 12, "alice", "see you")),
        new Carried(7, 42, new Directory(0, 1, List.of(session("alice", 5)))),
        new Carried(7, 43, new Detached("bob", 6, "lost its connection")),
        new Carried(7, 44, new Resumed("bob", 6, SERVER3, 12)),
        new Carried(7, 45, new Chat("alice", 5, 9, "bob", "again", 4)),
        new Directory(0, 1, List.of()),
        new Directory(1, 3, List.of(session("alice", 5), session("bob", 6))),
        new Directory(0, 1, List.of(session("alice", 5), detachedSession("bob", 6))),
        new Directory(
            0,
            1,
            List.of(
                pastSession("carol", 7, false), pastSession("dave", 8, true), session("erin", 9))));
  }

  private static Session session(String name, long id) {
    return new Session(name, id, SERVER2, 3);
  }

  /** A session whose client lost its server and may resume it. */
  private static Session detachedSession(String name, long id) {
    return new Session(name, id, SERVER3, 4, true, false);
  }

  /** A session the reporting server knows only from what it delivered (not in its directory). */
  private static Session pastSession(String name, long id, boolean detached) {
    return new Session(name, id, SERVER3, 7, detached, true);
  }

  /** Every kind at its largest: longest names and ids, largest numbers, texts at their limit. */
  static Stream<StreamEntry> largestEntries() {
    long big = Long.MAX_VALUE;
    long seq = Bounds.MAX_CLIENT_SEQ; // a client number takes 8 bytes whatever its value
    Session largestSession = new Session(LONGEST_NAME, big, LONGEST_ID, seq, true, true);
    Chat largestChat =
        new Chat(LONGEST_NAME, big, seq, LONGEST_NAME, GRINNING.repeat(1024), seq - 1);
    return Stream.of(
        new Joined(LONGEST_NAME, big, LONGEST_ID),
        new JoinRefused(LONGEST_NAME, big, LONGEST_ID, "\u00df".repeat(256)),
        largestChat,
        new Chat(LONGEST_NAME, big, seq, null, "\u20ac".repeat(1365) + "a"),
        new Chat(LONGEST_NAME, big, seq, LONGEST_NAME, "\u00e9".repeat(2048)),
        new Chat(LONGEST_NAME, big, seq, LONGEST_NAME, "a".repeat(4096)),
        new ChatRejected(LONGEST_NAME, big, seq, "\u20ac".repeat(170) + "ab"),
        new Left(LONGEST_NAME, big, GRINNING.repeat(128)),
        new Detached(LONGEST_NAME, big, GRINNING.repeat(128)),
        new Resumed(LONGEST_NAME, big, LONGEST_ID, seq),
        new Carried(big, big, largestChat),
        new Directory(65_534, 65_535, List.of(largestSession, largestSession)));
  }

  /** Every kind at its smallest. */
  static Stream<StreamEntry> smallestEntries() {
    NodeId id = NodeId.of("0");
    return Stream.of(
        new Joined("a", 0, id),
        new JoinRefused("a", 0, id, ""),
        new Chat("a", 0, 0, null, ""),
        new ChatRejected("a", 0, 0, ""),
        new Left("a", 0, ""),
        new Detached("a", 0, ""),
        new Resumed("a", 0, id, 0),
        new Carried(0, 0, new Directory(0, 1, List.of())),
        new Directory(0, 1, List.of()));
  }

  static Stream<StreamEntry> allEntries() {
    return Stream.of(typicalEntries(), largestEntries(), smallestEntries()).flatMap(s -> s);
  }

  /** Typical and extreme messages of the six routing types. */
  static Stream<ClusterMessage> messages() {
    List<SequencedEntry> entries =
        typicalEntries().map(e -> new SequencedEntry(100 + e.entryCode(), e)).toList();
    List<Session> sessions = List.of(
        session("alice", 5),
        session("bob", 6),
        detachedSession("carol", 7),
        pastSession("dave", 8, false),
        pastSession("erin", 9, true));
    return Stream.of(
        new Forward(new Joined("alice", 5, SERVER2)),
        new Forward(new Chat("alice", 5, 1, null, "hi")),
        new Forward(new Chat("alice", 5, 7, null, "hi", 3)),
        new Forward(new Left("alice", 5, "said goodbye")),
        new Forward(new Resumed("alice", 5, SERVER3, 0)),
        new SyncRequest(0),
        new SyncRequest(Long.MAX_VALUE),
        new SyncReply(8, 0, 0, 0, 1, List.of(), List.of()),
        new SyncReply(8, 7, 3, 0, 1, entries.subList(0, 1), sessions.subList(0, 1)),
        new SyncReply(8, 7, 120, 1, 2, entries, sessions),
        new SyncReply(
            Long.MAX_VALUE,
            Long.MAX_VALUE,
            Long.MAX_VALUE,
            Integer.MAX_VALUE - 1,
            Integer.MAX_VALUE,
            List.of(),
            sessions),
        new Sequenced(0, 0, new Directory(0, 1, List.of())),
        new Sequenced(7, 3, new Chat("alice", 5, 2, "bob", "h\u00e9")),
        new StreamAck(0, 0, 0),
        new StreamAck(7, 12, 10),
        new StreamAck(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE),
        new StreamState(0, 0, 0, 0),
        new StreamState(7, 12, 11, 10),
        new StreamState(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE));
  }

  /**
   * Frames of every routing type and every entry kind, small enough to cut at every byte; the
   * seeded fuzz loop of {@link ClusterCodecTest} mutates these too.
   */
  static Stream<ClusterEnvelope> fuzzSamples() {
    Stream<ClusterMessage> sequenced =
        allEntries().map(e -> new Sequenced(7, 1 + e.entryCode(), e));
    return Stream.concat(messages(), sequenced).map(RoutingCodecTest::envelope);
  }

  // ------------------------------------------------------------------ round trips

  @ParameterizedTest(name = "{0}")
  @MethodSource("messages")
  void everyRoutingMessageSurvivesARoundTrip(ClusterMessage message) throws CodecException {
    assertRoundTrip(envelope(message));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allEntries")
  void everyEntryKindSurvivesARoundTripInEveryMessageThatCarriesOne(StreamEntry entry)
      throws CodecException {
    assertRoundTrip(envelope(new Sequenced(7, 3, entry)));
    assertRoundTrip(envelope(new Forward(entry)));
    assertRoundTrip(
        envelope(new SyncReply(8, 7, 3, 0, 1, List.of(new SequencedEntry(3, entry)), List.of())));
    if (!(entry instanceof Carried)) {
      assertRoundTrip(envelope(new Sequenced(8, 1, new Carried(7, 3, entry))));
    }
  }

  @Test
  void chatWithoutARecipientCarriesAnEmptyNameAndDecodesToNull() throws CodecException {
    Chat broadcast = new Chat("alice", 5, 3, null, "hi");
    byte[] frame = ClusterCodec.encode(envelope(new Sequenced(7, 3, broadcast)));

    int toCountAt = 29 + 8 + 8 + 1 + (1 + 5) + 8 + 8;
    assertThat(frame[toCountAt]).isZero();
    assertThat(((Sequenced) ClusterCodec.decode(frame).message()).entry()).isEqualTo(broadcast);
  }

  @Test
  void textsAtTheirLimitInMultiByteCharactersSurviveARoundTrip() throws CodecException {
    for (String text :
        List.of(GRINNING.repeat(1024), "\u20ac".repeat(1365) + "a", "\u00e9".repeat(2048))) {
      assertThat(text.getBytes(StandardCharsets.UTF_8)).hasSize(StreamEntry.MAX_TEXT_BYTES);
      Chat chat = new Chat("alice", 5, 2, "bob", text);
      assertRoundTrip(envelope(new Sequenced(7, 3, chat)));
    }
    Left left = new Left("bob", 6, GRINNING.repeat(128));
    assertThat(left.reason().getBytes(StandardCharsets.UTF_8))
        .hasSize(StreamEntry.MAX_REASON_BYTES);
    assertRoundTrip(envelope(new Sequenced(7, 3, left)));
  }

  private static void assertRoundTrip(ClusterEnvelope envelope) throws CodecException {
    byte[] frame = ClusterCodec.encode(envelope);
    ClusterEnvelope decoded = ClusterCodec.decode(frame);
    assertThat(decoded).isEqualTo(envelope);
    assertThat(ClusterCodec.encode(decoded)).isEqualTo(frame);
    assertThat(frame.length).isLessThanOrEqualTo(MAX).isEqualTo(ClusterCodec.frameSize(envelope));
  }

  // ------------------------------------------------------------------ sizes

  @ParameterizedTest(name = "{0}")
  @MethodSource("allEntries")
  void encodedSizeOfAnEntryIsWhatItAddsToAFrame(StreamEntry entry) {
    int headerOnly = ClusterCodec.encode(envelope(new Leave())).length; // Leave has no body
    int withEntry = ClusterCodec.encode(envelope(new Forward(entry))).length;
    int carried = ClusterCodec.encode(envelope(new Sequenced(1, 1, entryOrCarried(entry)))).length;

    assertThat(ClusterCodec.encodedSize(entry)).isEqualTo(withEntry - headerOnly);
    assertThat(ClusterCodec.encodedSize(entryOrCarried(entry)))
        .isEqualTo(carried - headerOnly - 16);
    assertThat(ClusterCodec.encodedSize(entry))
        .isGreaterThanOrEqualTo(ClusterCodec.MIN_ENTRY_BYTES);
  }

  private static StreamEntry entryOrCarried(StreamEntry entry) {
    return entry instanceof Carried ? entry : new Carried(1, 2, entry);
  }

  @Test
  void encodedSizeOfASessionIsWhatItAddsToADirectoryAndToASyncReply() {
    for (Session s : List.of(
        session("alice", 5),
        detachedSession("bob", 6),
        pastSession("carol", 7, false),
        pastSession("dave", 8, true),
        new Session("a", 0, NodeId.of("0"), 0),
        new Session(LONGEST_NAME, Long.MAX_VALUE, LONGEST_ID, Bounds.MAX_CLIENT_SEQ),
        new Session(LONGEST_NAME, Long.MAX_VALUE, LONGEST_ID, Bounds.MAX_CLIENT_SEQ, true, true))) {
      int emptyDirectory =
          ClusterCodec.encode(envelope(new Sequenced(1, 1, new Directory(0, 1, List.of())))).length;
      int oneSession = ClusterCodec.encode(
              envelope(new Sequenced(1, 1, new Directory(0, 1, List.of(s)))))
          .length;
      int emptyReply =
          ClusterCodec.encode(envelope(new SyncReply(1, 0, 0, 0, 1, List.of(), List.of()))).length;
      int replyWithSession =
          ClusterCodec.encode(envelope(new SyncReply(1, 0, 0, 0, 1, List.of(), List.of(s)))).length;

      assertThat(ClusterCodec.encodedSize(s))
          .isEqualTo(oneSession - emptyDirectory)
          .isEqualTo(replyWithSession - emptyReply)
          .isGreaterThanOrEqualTo(ClusterCodec.MIN_SESSION_BYTES);
    }
  }

  @Test
  void smallestEntryAndSessionAreWhatTheDecoderAssumesWhenItBoundsACount() {
    assertThat(ClusterCodec.encodedSize(new Directory(0, 1, List.of())))
        .isEqualTo(ClusterCodec.MIN_ENTRY_BYTES)
        .isEqualTo(11);
    // name 2 + session 8 + server 2 + lastClientSeq 8 + flags 1 + token 16
    assertThat(ClusterCodec.encodedSize(new Session("a", 0, NodeId.of("0"), 0)))
        .isEqualTo(ClusterCodec.MIN_SESSION_BYTES)
        .isEqualTo(37);
    // The flags are one byte whatever they say, the token 16 bytes whatever it is.
    assertThat(ClusterCodec.encodedSize(new Session("a", 0, NodeId.of("0"), 0, true, true, TOKEN)))
        .isEqualTo(37);
    assertThat(smallestEntries().mapToInt(ClusterCodec::encodedSize).min().orElseThrow())
        .isEqualTo(ClusterCodec.MIN_ENTRY_BYTES);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fuzzSamples")
  void frameSizeIsTheLengthOfTheEncodedFrame(ClusterEnvelope envelope) {
    assertThat(ClusterCodec.frameSize(envelope)).isEqualTo(ClusterCodec.encode(envelope).length);
  }

  @Test
  void largestFrameWithoutAListIsASequencedCarriedChatOf4368Bytes() {
    // The figure docs/wire-protocol.md gives: header 146 (64-character cluster and sender)
    // + Sequenced 16 + Carried 17 + Chat 1 + from 33 + session and clientSeq 16 + to 33
    // + text (2 + 4096) + previous 8 = 4368.
    List<ClusterMessage> largest = new ArrayList<>();
    largestEntries().filter(e -> !(e instanceof Directory)).forEach(e -> {
      largest.add(new Forward(e));
      largest.add(new Sequenced(Long.MAX_VALUE, Long.MAX_VALUE, e));
      if (!(e instanceof Carried)) {
        largest.add(
            new Sequenced(Long.MAX_VALUE, Long.MAX_VALUE, new Carried(Long.MAX_VALUE, 1, e)));
      }
    });
    int max = largest.stream()
        .map(m -> new ClusterEnvelope("c".repeat(64), LONGEST_ID, Long.MAX_VALUE, m))
        .mapToInt(e -> ClusterCodec.encode(e).length)
        .max()
        .orElseThrow();

    assertThat(max).isEqualTo(146 + 16 + 17 + 1 + 33 + 16 + 33 + 2 + 4096 + 8).isEqualTo(4368);
  }

  // ------------------------------------------------------------------ filling a frame

  /** A session of the largest size: 33 + 8 + 65 + 8 + 1 + 16 = 131 bytes. */
  private static Session largestSession(int i) {
    return new Session(
        String.format("c%031d", i), i, LONGEST_ID, Bounds.MAX_CLIENT_SEQ, i % 2 == 0, i % 3 == 0);
  }

  @Test
  void directoryOfAsManySessionsAsFitEncodesWithinTheLimitAndOneMoreIsRefused()
      throws CodecException {
    // Header 29 + Sequenced epoch and seq 16 + Directory code, part, parts and count 11 = 56;
    // (65507 - 56) / 131 = 499 sessions.
    ClusterEnvelope empty = envelope(new Sequenced(9, 1, new Directory(0, 1, List.of())));
    List<Session> sessions = new ArrayList<>();
    int size = ClusterCodec.frameSize(empty);
    for (int i = 0; size + ClusterCodec.encodedSize(largestSession(i)) <= MAX; i++) {
      sessions.add(largestSession(i));
      size += ClusterCodec.encodedSize(largestSession(i));
    }
    ClusterEnvelope full = envelope(new Sequenced(9, 1, new Directory(0, 1, sessions)));

    assertThat(ClusterCodec.encodedSize(largestSession(0))).isEqualTo(131);
    assertThat(sessions).hasSize(499);
    byte[] frame = ClusterCodec.encode(full);
    assertThat(frame).hasSize(size).hasSize(56 + 499 * 131);
    assertThat(ClusterCodec.decode(frame)).isEqualTo(full);
    assertCutsAreTruncated(frame, 97);

    List<Session> oneMore = new ArrayList<>(sessions);
    oneMore.add(largestSession(499));
    ClusterEnvelope tooMany = envelope(new Sequenced(9, 1, new Directory(0, 1, oneMore)));
    assertThat(ClusterCodec.frameSize(tooMany)).isEqualTo(56 + 500 * 131).isGreaterThan(MAX);
    assertThatThrownBy(() -> ClusterCodec.encode(tooMany))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "Sequenced frame would be 65556 bytes, limit is 65507; split it into more parts");
  }

  @Test
  void syncReplyPackedWithSmallestSessionsAndEntriesFillsTheFrameToWithinASession()
      throws CodecException {
    // Header 29 + SyncReply fixed fields 36 = 65; 50 of the smallest entries with their seq,
    // 19 bytes each; then as many of the smallest sessions, 37 bytes each, as fit:
    // (65507 - 65 - 950) / 37 = 1743, which leave 1 byte unused.
    ClusterEnvelope empty = envelope(new SyncReply(8, 7, 3, 0, 1, List.of(), List.of()));
    assertThat(ClusterCodec.frameSize(empty)).isEqualTo(65);
    List<SequencedEntry> entries = new ArrayList<>();
    List<Session> sessions = new ArrayList<>();
    int size = ClusterCodec.frameSize(empty);
    StreamEntry smallest = new Directory(0, 1, List.of());
    for (int i = 0; i < 50; i++) {
      entries.add(new SequencedEntry(i, smallest));
      size += 8 + ClusterCodec.encodedSize(smallest);
    }
    Session tiny = new Session("a", 1, NodeId.of("b"), 2);
    while (size + ClusterCodec.encodedSize(tiny) <= MAX) {
      sessions.add(tiny);
      size += ClusterCodec.encodedSize(tiny);
    }
    ClusterEnvelope full = envelope(new SyncReply(8, 7, 3, 0, 1, entries, sessions));

    byte[] frame = ClusterCodec.encode(full);
    assertThat(frame).hasSize(size);
    assertThat(MAX - size).isLessThan(ClusterCodec.MIN_SESSION_BYTES);
    assertThat(ClusterCodec.encodedSize(tiny)).isEqualTo(ClusterCodec.MIN_SESSION_BYTES);
    assertThat(sessions).hasSize((MAX - 65 - 50 * 19) / 37).hasSize(1743);
    assertThat(frame).hasSize(65 + 50 * 19 + 1743 * 37).hasSize(MAX - 1);
    assertThat(ClusterCodec.decode(frame)).isEqualTo(full);
    assertCutsAreTruncated(frame, 89);
  }

  private static void assertCutsAreTruncated(byte[] frame, int step) {
    for (int length = 4; length < frame.length; length += step) {
      byte[] cut = Arrays.copyOf(frame, length);
      assertRejected(cut, Reason.TRUNCATED);
      ByteBuffer.wrap(cut).putInt(length - 4);
      assertRejected(cut, Reason.TRUNCATED);
    }
  }

  @Test
  void syncReplyEntryWithANegativeSeqIsRefusedByTheEncoderNotSentAsAnInvalidFrame() {
    SyncReply reply = new SyncReply(
        8, 7, 3, 0, 1, List.of(new SequencedEntry(-1, new Left("a", 1, ""))), List.of());

    assertThatThrownBy(() -> ClusterCodec.encode(envelope(reply)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("sync reply entry seq must be >= 0, was -1");
  }

  // ------------------------------------------------------------------ the bytes of the spec

  // Written out by hand from docs/wire-protocol.md, not produced by the codec.

  private static final String HEAD = "524c01"; // magic "RL", version 1; the type code follows
  private static final String COMMON = "04" + "70726f64" // cluster "prod"
      + "07" + "73657276657232" // sender "server2"
      + "0000018bcfe56800"; // incarnation 1700000000000
  private static final String ALICE = "05" + "616c696365";
  private static final String LEFT_BOB_QUIT =
      "05" + "03626f62" + "0000000000000006" + "0004" + "71756974"; // Left("bob", 6, "quit")
  /** A resume token, as the pinned frames carry it: high, then low, 8 bytes each. */
  private static final ResumeToken TOKEN =
      new ResumeToken(0x0123456789abcdefL, 0xfedcba9876543210L);

  private static final String TOKEN_HEX = "0123456789abcdef" + "fedcba9876543210";
  private static final String NO_TOKEN = "00000000000000000000000000000000";
  private static final String SESSION_ALICE = // Session("alice", 5, server2, 2), attached, TOKEN
      ALICE + "0000000000000005" + "07" + "73657276657232" + "0000000000000002" + "00" + TOKEN_HEX;
  private static final String SESSION_BOB_DETACHED = // Session("bob", 6, server3, 4), detached
      "03626f62" + "0000000000000006" + "07" + "73657276657233" + "0000000000000004" + "01"
          + NO_TOKEN;
  private static final String SESSION_CAROL_PAST = // Session("carol", 7, server3, 3), past
      "05" + "6361726f6c" + "0000000000000007" + "07" + "73657276657233" + "0000000000000003" + "02"
          + NO_TOKEN;
  private static final String SESSION_DAVE_DETACHED_PAST = // Session("dave", 8, server2, 0)
      "04" + "64617665" + "0000000000000008" + "07" + "73657276657232" + "0000000000000000" + "03"
          + NO_TOKEN;

  static Stream<Arguments> pinnedFrames() {
    Session alice = new Session("alice", 5, SERVER2, 2, TOKEN);
    Session bobDetached = new Session("bob", 6, SERVER3, 4, true, false);
    Session carolPast = new Session("carol", 7, SERVER3, 3, false, true);
    Session daveDetachedPast = new Session("dave", 8, SERVER2, 0, true, true);
    return Stream.of(
        Arguments.of(
            new Forward(new Joined("alice", 5, SERVER2, TOKEN)),
            "00000040" + HEAD + "08" + COMMON + "01" + ALICE + "0000000000000005" + "07"
                + "73657276657232" + TOKEN_HEX),
        Arguments.of(new SyncRequest(7), "00000021" + HEAD + "09" + COMMON + "0000000000000007"),
        Arguments.of(
            new SyncReply(8, 0, 0, 0, 1, List.of(), List.of()),
            "0000003d" + HEAD + "0a" + COMMON
                + "0000000000000008" + "0000000000000000" + "0000000000000000"
                + "00000000" + "00000001" + "0000" + "0000"),
        Arguments.of(
            new SyncReply(
                8,
                7,
                3,
                0,
                1,
                List.of(new SequencedEntry(3, new Left("bob", 6, "quit"))),
                List.of(alice)),
            "00000087" + HEAD + "0a" + COMMON
                + "0000000000000008" + "0000000000000007" + "0000000000000003"
                + "00000000" + "00000001"
                + "0001" + "0000000000000003" + LEFT_BOB_QUIT
                + "0001" + SESSION_ALICE),
        Arguments.of(
            new Sequenced(7, 3, new Chat("alice", 5, 2, "bob", "h\u00e9", 1)),
            "00000051" + HEAD + "0b" + COMMON
                + "0000000000000007" + "0000000000000003"
                + "03" + ALICE + "0000000000000005" + "0000000000000002"
                + "03626f62" + "0003" + "68c3a9" + "0000000000000001"),
        Arguments.of(
            new Sequenced(7, 4, new Chat("alice", 5, 3, null, "hi")), // previous 2
            "0000004d" + HEAD + "0b" + COMMON
                + "0000000000000007" + "0000000000000004"
                + "03" + ALICE + "0000000000000005" + "0000000000000003"
                + "00" + "0002" + "6869" + "0000000000000002"),
        Arguments.of(
            new Sequenced(7, 9, new Chat("alice", 5, 9, "bob", "hi", 4)),
            "00000050" + HEAD + "0b" + COMMON
                + "0000000000000007" + "0000000000000009"
                + "03" + ALICE + "0000000000000005" + "0000000000000009"
                + "03626f62" + "0002" + "6869" + "0000000000000004"),
        Arguments.of(
            new Forward(new Chat("alice", 5, 1, null, "hi", 0)),
            "0000003d" + HEAD + "08" + COMMON
                + "03" + ALICE + "0000000000000005" + "0000000000000001"
                + "00" + "0002" + "6869" + "0000000000000000"),
        Arguments.of(
            new Sequenced(7, 5, new JoinRefused("Alice", 9, SERVER3, "taken")),
            "00000047" + HEAD + "0b" + COMMON
                + "0000000000000007" + "0000000000000005"
                + "02" + "05416c696365" + "0000000000000009" + "07" + "73657276657233"
                + "0005" + "74616b656e"),
        Arguments.of(
            new Sequenced(7, 6, new ChatRejected("alice", 5, 4, "no bob")),
            "00000048" + HEAD + "0b" + COMMON
                + "0000000000000007" + "0000000000000006"
                + "04" + ALICE + "0000000000000005" + "0000000000000004"
                + "0006" + "6e6f20626f62"),
        Arguments.of(
            new Sequenced(7, 7, new Detached("bob", 6, "lost")),
            "0000003c" + HEAD + "0b" + COMMON
                + "0000000000000007" + "0000000000000007"
                + "08" + "03626f62" + "0000000000000006" + "0004" + "6c6f7374"),
        Arguments.of(
            new Sequenced(7, 8, new Resumed("bob", 6, SERVER3, 12, TOKEN)),
            "00000056" + HEAD + "0b" + COMMON
                + "0000000000000007" + "0000000000000008"
                + "09" + "03626f62" + "0000000000000006" + "07" + "73657276657233"
                + "000000000000000c" + TOKEN_HEX),
        Arguments.of(
            new Forward(new Resumed("bob", 6, SERVER3, 0, TOKEN)), // as proposed
            "00000046" + HEAD + "08" + COMMON
                + "09" + "03626f62" + "0000000000000006" + "07" + "73657276657233"
                + "0000000000000000" + TOKEN_HEX),
        Arguments.of(
            new Sequenced(8, 1, new Carried(7, 3, new Left("bob", 6, "quit"))),
            "0000004d" + HEAD + "0b" + COMMON
                + "0000000000000008" + "0000000000000001"
                + "06" + "0000000000000007" + "0000000000000003" + LEFT_BOB_QUIT),
        Arguments.of(
            new Sequenced(8, 2, new Directory(0, 1, List.of(alice))),
            "00000063" + HEAD + "0b" + COMMON
                + "0000000000000008" + "0000000000000002"
                + "07" + "00000000" + "00000001" + "0001" + SESSION_ALICE),
        Arguments.of(
            new Sequenced(8, 3, new Directory(0, 1, List.of(alice, bobDetached))),
            "00000090" + HEAD + "0b" + COMMON
                + "0000000000000008" + "0000000000000003"
                + "07" + "00000000" + "00000001" + "0002" + SESSION_ALICE
                + SESSION_BOB_DETACHED),
        Arguments.of(
            new SyncReply(
                9, 8, 4, 0, 1, List.of(), List.of(alice, bobDetached, carolPast, daveDetachedPast)),
            "000000f6" + HEAD + "0a" + COMMON
                + "0000000000000009" + "0000000000000008" + "0000000000000004"
                + "00000000" + "00000001"
                + "0000" + "0004" + SESSION_ALICE + SESSION_BOB_DETACHED + SESSION_CAROL_PAST
                + SESSION_DAVE_DETACHED_PAST),
        Arguments.of(
            new StreamAck(7, 12, 10),
            "00000031" + HEAD + "0c" + COMMON + "0000000000000007" + "000000000000000c"
                + "000000000000000a"),
        Arguments.of(
            new StreamState(7, 12, 11, 10),
            "00000039" + HEAD + "0d" + COMMON
                + "0000000000000007" + "000000000000000c" + "000000000000000b"
                + "000000000000000a"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pinnedFrames")
  void eachRoutingTypeAndEntryKindEncodesToTheBytesTheSpecDescribes(
      ClusterMessage message, String hex) throws CodecException {
    assertThat(HEX.formatHex(ClusterCodec.encode(envelope(message)))).isEqualTo(hex);
    assertThat(ClusterCodec.decode(HEX.parseHex(hex))).isEqualTo(envelope(message));
  }

  // ------------------------------------------------------------------ raw frames

  private static RawFrame frame(int type) {
    return new RawFrame(type).str("prod").str("server2").i64(1);
  }

  /** A Sequenced frame up to its entry. */
  private static RawFrame sequenced() {
    return frame(Sequenced.TYPE).i64(7).i64(3);
  }

  /** A Sequenced chat up to its text. */
  private static RawFrame chatUpToText() {
    return sequenced().u8(Chat.CODE).str("alice").i64(5).i64(2).str("bob");
  }

  /** A SyncReply frame up to its entry count. */
  private static RawFrame syncReply(int part, int parts) {
    return frame(SyncReply.TYPE).i64(8).i64(7).i64(3).i32(part).i32(parts);
  }

  /** Session("alice", 5, server2, 2): lastClientSeq 2, attached, current, without a token. */
  private static RawFrame sessionAlice(RawFrame frame) {
    return frame.str("alice").i64(5).str("server2").i64(2).u8(0).i64(0).i64(0);
  }

  // ------------------------------------------------------------------ texts

  @Test
  void chatTextOverItsLimitIsRejectedAsInvalidField() {
    byte[] frame = chatUpToText().utf8("x".repeat(5000)).build();

    assertRejected(frame, Reason.INVALID_FIELD)
        .withMessage("chat text is 5000 bytes, limit is 4096");
  }

  @Test
  void textCountOverTheLimitIsRejectedBeforeItsBytesAreLookedFor() {
    byte[] frame = chatUpToText().u16(0xFFFF).build();

    assertRejected(frame, Reason.INVALID_FIELD)
        .withMessage("chat text is 65535 bytes, limit is 4096");
  }

  @Test
  void chatTextOneByteOverTheLimitInMultiByteCharactersIsRejected() {
    // 1365 three-byte characters and two one-byte ones: 4097 bytes, 1367 characters.
    byte[] frame = chatUpToText().utf8("\u20ac".repeat(1365) + "ab").build();

    assertRejected(frame, Reason.INVALID_FIELD)
        .withMessage("chat text is 4097 bytes, limit is 4096");
  }

  static Stream<Arguments> oversizedReasons() {
    String reason = "r".repeat(513);
    return Stream.of(
        Arguments.of(
            sequenced().u8(JoinRefused.CODE).str("alice").i64(5).str("server2").utf8(reason),
            "join refused reason is 513 bytes, limit is 512"),
        Arguments.of(
            sequenced().u8(ChatRejected.CODE).str("alice").i64(5).i64(2).utf8(reason),
            "chat rejected reason is 513 bytes, limit is 512"),
        Arguments.of(
            sequenced().u8(Left.CODE).str("alice").i64(5).utf8(reason),
            "left reason is 513 bytes, limit is 512"),
        Arguments.of(
            sequenced().u8(Detached.CODE).str("alice").i64(5).utf8(reason),
            "detached reason is 513 bytes, limit is 512"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("oversizedReasons")
  void reasonOverItsLimitIsRejectedAsInvalidField(RawFrame frame, String message) {
    assertRejected(frame.build(), Reason.INVALID_FIELD).withMessage(message);
  }

  static Stream<Arguments> malformedUtf8() {
    return Stream.of(
        Arguments.of("80", 0), // a continuation byte without a lead
        Arguments.of("61c0af", 1), // overlong '/'
        Arguments.of("e0808f", 0), // overlong three-byte form
        Arguments.of("f0808080", 0), // overlong four-byte form
        Arguments.of("eda080", 0), // an encoded surrogate (CESU-8)
        Arguments.of("6162e282", 2), // a sequence cut short by the end of the text
        Arguments.of("6162c3", 2),
        Arguments.of("c3a9e282ac80", 5), // "é€" then a stray continuation byte
        Arguments.of("f4908080", 0), // above U+10FFFF
        Arguments.of("f5808080", 0),
        Arguments.of("ff", 0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedUtf8")
  void malformedUtf8IsRejectedAsInvalidFieldWithoutQuotingIt(String hex, int index) {
    byte[] bytes = HEX.parseHex(hex);
    byte[] chat = chatUpToText().u16(bytes.length).bytes(bytes).build();
    byte[] left = sequenced()
        .u8(Left.CODE)
        .str("bob")
        .i64(6)
        .u16(bytes.length)
        .bytes(bytes)
        .build();

    assertRejected(chat, Reason.INVALID_FIELD)
        .withMessage("chat text is not well-formed UTF-8: invalid sequence at index " + index);
    assertRejected(left, Reason.INVALID_FIELD)
        .withMessage("left reason is not well-formed UTF-8: invalid sequence at index " + index);
  }

  // ------------------------------------------------------------------ names and ids

  static Stream<Arguments> badClientNames() {
    return Stream.of(
        Arguments.of(
            sequenced().u8(Chat.CODE).str("").i64(5).i64(2).str("").utf8("hi"),
            "chat from is invalid: a name must not be empty"),
        Arguments.of(
            sequenced().u8(Chat.CODE).str("_alice").i64(5).i64(2).str("").utf8("hi"),
            "chat from is invalid: a name must start with an ASCII letter or digit, not '_'"),
        Arguments.of(
            sequenced().u8(Chat.CODE).str("alice").i64(5).i64(2).str("bo b").utf8("hi"),
            "chat to is invalid: a name may only contain " + IdChars.ALLOWED + ";"
                + " found ' ' at position 3"),
        Arguments.of(
            sequenced().u8(Joined.CODE).str("a".repeat(33)).i64(5).str("server2"),
            "joined name is invalid: a name must be at most 32 characters, \"" + "a".repeat(32)
                + "\u2026\" has 33"),
        Arguments.of(
            sequenced().u8(JoinRefused.CODE).str("al/ce").i64(5).str("server2").utf8(""),
            "join refused name is invalid: a name may only contain " + IdChars.ALLOWED
                + "; found '/' at position 3"),
        Arguments.of(
            sequenced().u8(ChatRejected.CODE).str("-").i64(5).i64(2).utf8(""),
            "chat rejected from is invalid: a name must start with an ASCII letter or digit, not '-'"),
        Arguments.of(
            sequenced().u8(Left.CODE).u8(3).ascii("bo").u8(0xC3).i64(5).utf8(""),
            "left name has non-ASCII byte 0xC3 at index 2"),
        Arguments.of(
            sequenced().u8(Left.CODE).str("b\tb").i64(5).utf8(""),
            "left name has invalid character U+0009 at index 1"),
        Arguments.of(
            sequenced().u8(Detached.CODE).str("bob!").i64(6).utf8(""),
            "detached name is invalid: a name may only contain " + IdChars.ALLOWED
                + "; found '!' at position 4"),
        Arguments.of(
            sequenced().u8(Resumed.CODE).str("").i64(6).str("server3").i64(0),
            "resumed name is invalid: a name must not be empty"),
        Arguments.of(
            sessionAlice(sequenced().u8(Directory.CODE).i32(0).i32(1).u16(2))
                .str("b c")
                .i64(6)
                .str("server2")
                .i64(1)
                .u8(0)
                .i64(0)
                .i64(0),
            "directory sessions[1].name is invalid: a name may only contain " + IdChars.ALLOWED
                + "; found ' ' at position 2"),
        Arguments.of(
            syncReply(0, 1)
                .u16(0)
                .u16(1)
                .str("")
                .i64(6)
                .str("server2")
                .i64(1)
                .u8(0)
                .i64(0)
                .i64(0),
            "sync reply sessions[0].name is invalid: a name must not be empty"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("badClientNames")
  void badClientNameIsRejectedAsInvalidFieldWithTheNameRule(RawFrame frame, String message) {
    assertRejected(frame.build(), Reason.INVALID_FIELD).withMessage(message);
  }

  @Test
  void badServerIdsAreRejectedAsInvalidId() {
    byte[] empty = sequenced().u8(Joined.CODE).str("alice").i64(5).str("").build();
    byte[] valid =
        sessionAlice(sequenced().u8(Directory.CODE).i32(0).i32(1).u16(1)).build();
    byte[] badSession = sequenced()
        .u8(Directory.CODE)
        .i32(0)
        .i32(1)
        .u16(1)
        .str("alice")
        .i64(5)
        .str("rack/1")
        .i64(2)
        .u8(0)
        .i64(0)
        .i64(0)
        .build();
    byte[] resumedNowhere =
        sequenced().u8(Resumed.CODE).str("alice").i64(5).str("").i64(0).build();

    assertRejected(empty, Reason.INVALID_ID).withMessage("joined server id is empty");
    assertRejected(resumedNowhere, Reason.INVALID_ID).withMessage("resumed server id is empty");
    assertThat(decodes(valid)).as("the same frame with a valid server id").isTrue();
    assertRejected(badSession, Reason.INVALID_ID)
        .withMessageStartingWith("directory sessions[0].server id is invalid: node id may only");
  }

  private static boolean decodes(byte[] frame) {
    try {
      ClusterCodec.decode(frame);
      return true;
    } catch (CodecException e) {
      return false;
    }
  }

  // ------------------------------------------------------------------ carried entries

  @Test
  void carriedEntryCarryingAnotherIsRejectedAsInvalidField() {
    byte[] inSequenced = sequenced()
        .u8(Carried.CODE)
        .i64(7)
        .i64(3)
        .u8(Carried.CODE)
        .i64(6)
        .i64(1)
        .u8(Left.CODE)
        .str("bob")
        .i64(6)
        .utf8("")
        .build();
    byte[] inForward =
        frame(Forward.TYPE).u8(Carried.CODE).i64(7).i64(3).u8(Carried.CODE).build();
    byte[] inSyncReply = syncReply(0, 1)
        .u16(1)
        .i64(3)
        .u8(Carried.CODE)
        .i64(7)
        .i64(3)
        .u8(Carried.CODE)
        .build();

    for (byte[] frame : List.of(inSequenced, inForward, inSyncReply)) {
      assertRejected(frame, Reason.INVALID_FIELD)
          .withMessage("a carried entry cannot carry another");
    }
  }

  @Test
  void deeplyNestedCarriedEntriesAreRejectedAtTheSecondLevelWithoutRecursingFurther() {
    RawFrame frame = sequenced();
    for (int i = 0; i < 3000; i++) { // 17 bytes each: most of a frame
      frame.u8(Carried.CODE).i64(1).i64(1);
    }
    byte[] bytes = frame.u8(Left.CODE).str("bob").i64(6).utf8("").build();
    assertThat(bytes.length).isLessThanOrEqualTo(MAX);

    assertRejected(bytes, Reason.INVALID_FIELD).withMessage("a carried entry cannot carry another");
  }

  @Test
  void carriedDirectoryIsAllowed() throws CodecException {
    assertRoundTrip(envelope(
        new Sequenced(8, 1, new Carried(7, 3, new Directory(0, 2, List.of())))));
  }

  // ------------------------------------------------------------------ resuming sessions

  @Test
  void aChatCarriesTheClientsNumberAndItsPredecessorsApart() throws CodecException {
    // Numbers a client that skipped some chose, and a predecessor that is not clientSeq - 1.
    Chat chat = new Chat("alice", 5, 17, "bob", "hi", 3);
    byte[] frame = ClusterCodec.encode(envelope(new Sequenced(7, 3, chat)));

    int clientSeqAt = 29 + 8 + 8 + 1 + (1 + 5) + 8;
    assertThat(ByteBuffer.wrap(frame, clientSeqAt, 8).getLong()).as("clientSeq").isEqualTo(17);
    // previous is the last field
    assertThat(ByteBuffer.wrap(frame, frame.length - 8, 8).getLong())
        .as("previous")
        .isEqualTo(3);
    assertThat(((Sequenced) ClusterCodec.decode(frame).message()).entry()).isEqualTo(chat);
  }

  @Test
  void aChatRejectedEndsWithItsReason() throws CodecException {
    ChatRejected rejected = new ChatRejected("alice", 5, 17, "no carol");
    byte[] frame = ClusterCodec.encode(envelope(new Sequenced(7, 3, rejected)));

    // code, from, session, clientSeq, reason: no number after the reason
    assertThat(frame.length).isEqualTo(29 + 16 + 1 + 6 + 8 + 8 + 2 + 8);
    assertThat(new String(frame, frame.length - 8, 8, StandardCharsets.UTF_8))
        .isEqualTo("no carol");
    assertThat(((Sequenced) ClusterCodec.decode(frame).message()).entry()).isEqualTo(rejected);
  }

  @Test
  void chatWhosePredecessorIsNotBelowItIsRejectedAsInvalidField() {
    byte[] same = chatUpToText().utf8("hi").i64(2).build(); // clientSeq 2, previous 2
    byte[] later = chatUpToText().utf8("hi").i64(Long.MAX_VALUE).build();

    assertRejected(same, Reason.INVALID_FIELD)
        .withMessage("invalid Chat: previous must be below clientSeq 2, was 2");
    assertRejected(later, Reason.INVALID_FIELD)
        .withMessage("invalid Chat: previous must be below clientSeq 2, was " + Long.MAX_VALUE);
    assertThat(decodes(chatUpToText().utf8("hi").i64(1).build()))
        .as("previous 1")
        .isTrue();
    assertThat(decodes(chatUpToText().utf8("hi").i64(0).build()))
        .as("previous 0")
        .isTrue();
  }

  static Stream<Arguments> sessionFlags() {
    return Stream.of(
        Arguments.of(false, false, 0),
        Arguments.of(true, false, 1),
        Arguments.of(false, true, 2),
        Arguments.of(true, true, 3));
  }

  @ParameterizedTest(name = "detached {0}, past {1}: flags {2}")
  @MethodSource("sessionFlags")
  void aSessionsFlagsSayWhetherItIsDetachedAndWhetherItIsPast(
      boolean detached, boolean past, int flags) throws CodecException {
    Session session = new Session("bob", 6, SERVER3, 4, detached, past);
    ClusterEnvelope inDirectory =
        envelope(new Sequenced(8, 1, new Directory(0, 1, List.of(session))));
    ClusterEnvelope inSyncReply =
        envelope(new SyncReply(8, 7, 3, 0, 1, List.of(), List.of(session("alice", 5), session)));

    for (ClusterEnvelope envelope : List.of(inDirectory, inSyncReply)) {
      assertRoundTrip(envelope);
      byte[] frame = ClusterCodec.encode(envelope);
      assertThat(frame[frame.length - 1 - ResumeToken.BYTES])
          .as("flags of the last session, before its token")
          .isEqualTo((byte) flags);
    }
    byte[] raw = sequenced()
        .u8(Directory.CODE)
        .i32(0)
        .i32(1)
        .u16(1)
        .str("bob")
        .i64(6)
        .str("server3")
        .i64(4)
        .u8(flags)
        .i64(0)
        .i64(0)
        .build();
    assertThat(((Directory) ((Sequenced) ClusterCodec.decode(raw).message()).entry()).sessions())
        .containsExactly(session);
  }

  @Test
  void theEntriesThatDetachAndResumeASessionSurviveARoundTrip() throws CodecException {
    assertRoundTrip(envelope(new Sequenced(8, 2, new Detached("bob", 6, "lost its server"))));
    assertRoundTrip(envelope(new Forward(new Detached("bob", 6, ""))));
    assertRoundTrip(envelope(new Sequenced(8, 3, new Resumed("bob", 6, SERVER2, 4))));
    assertRoundTrip(envelope(new Forward(new Resumed("bob", 6, SERVER2, 0))));
    // A token is any 128 bits, sign bits included.
    assertRoundTrip(envelope(
        new Forward(new Resumed("bob", 6, SERVER2, 0, new ResumeToken(-1, Long.MIN_VALUE)))));
    assertRoundTrip(
        envelope(new Sequenced(9, 1, new Carried(8, 3, new Resumed("bob", 6, SERVER2, 4)))));
  }

  @ParameterizedTest
  @ValueSource(ints = {4, 5, 7, 8, 0x40, 0x80, 0x83, 0xFF})
  void sessionFlagsWithUnknownBitsAreRejectedAsInvalidField(int flags) {
    byte[] inDirectory = sequenced()
        .u8(Directory.CODE)
        .i32(0)
        .i32(1)
        .u16(1)
        .str("alice")
        .i64(5)
        .str("server2")
        .i64(2)
        .u8(flags)
        .i64(0)
        .i64(0)
        .build();
    byte[] inSyncReply = sessionAlice(syncReply(0, 1).u16(0).u16(2))
        .str("bob")
        .i64(6)
        .str("server3")
        .i64(4)
        .u8(flags)
        .i64(0)
        .i64(0)
        .build();

    assertRejected(inDirectory, Reason.INVALID_FIELD)
        .withMessage("directory sessions[0].flags has unknown bits set: " + flags);
    assertRejected(inSyncReply, Reason.INVALID_FIELD)
        .withMessage("sync reply sessions[1].flags has unknown bits set: " + flags);
  }

  @Test
  void aSessionWithoutItsFlagsOrItsWholeTokenIsTruncated() {
    // A name long enough for the bytes left to pass the count check (37 for one session); the
    // frame ends after lastClientSeq, or half way through the token.
    RawFrame upToFlags = sequenced()
        .u8(Directory.CODE)
        .i32(0)
        .i32(1)
        .u16(1)
        .str("a".repeat(20))
        .i64(5)
        .str("server2")
        .i64(2);
    byte[] noFlags = upToFlags.build();
    byte[] halfToken = upToFlags.u8(0).i64(7).build();

    assertRejected(noFlags, Reason.TRUNCATED)
        .withMessage(
            "frame ends inside directory sessions[0].flags at byte 101: needs 1 byte, 0 left");
    assertRejected(halfToken, Reason.TRUNCATED)
        .withMessage("frame ends inside directory sessions[0].token low at byte 110: needs 8 bytes,"
            + " 0 left");
  }

  // ------------------------------------------------------------------ parts

  static Stream<Arguments> badParts() {
    return Stream.of(
        Arguments.of(0, 0, "directory parts must be in 1..65535, was 0"),
        Arguments.of(0, -1, "directory parts must be in 1..65535, was -1"),
        Arguments.of(0, 65_536, "directory parts must be in 1..65535, was 65536"),
        Arguments.of(
            Integer.MIN_VALUE,
            Integer.MIN_VALUE,
            "directory parts must be in 1..65535, was " + Integer.MIN_VALUE),
        Arguments.of(3, 3, "directory part must be in 0..2, was 3"),
        Arguments.of(-1, 2, "directory part must be in 0..1, was -1"),
        Arguments.of(65_535, 65_535, "directory part must be in 0..65534, was 65535"));
  }

  @ParameterizedTest(name = "part {0} of {1}")
  @MethodSource("badParts")
  void directoryPartOutsideItsPartsIsRejectedAsInvalidField(int part, int parts, String message) {
    byte[] frame = sequenced().u8(Directory.CODE).i32(part).i32(parts).u16(0).build();

    assertRejected(frame, Reason.INVALID_FIELD).withMessage(message);
  }

  @Test
  void syncReplyPartOutsideItsPartsIsRejectedAsInvalidField() {
    assertRejected(syncReply(0, 0).u16(0).u16(0).build(), Reason.INVALID_FIELD)
        .withMessage("sync reply parts must be >= 1, was 0");
    assertRejected(syncReply(0, -5).u16(0).u16(0).build(), Reason.INVALID_FIELD)
        .withMessage("sync reply parts must be >= 1, was -5");
    assertRejected(syncReply(2, 2).u16(0).u16(0).build(), Reason.INVALID_FIELD)
        .withMessage("sync reply part must be in 0..1, was 2");
    assertRejected(syncReply(-1, 4).u16(0).u16(0).build(), Reason.INVALID_FIELD)
        .withMessage("sync reply part must be in 0..3, was -1");
  }

  // ------------------------------------------------------------------ numbers

  static Stream<Arguments> negativeFields() {
    return Stream.of(
        Arguments.of(frame(SyncRequest.TYPE).i64(-1), "sync request epoch"),
        Arguments.of(frame(Sequenced.TYPE).i64(-1).i64(3), "sequenced epoch"),
        Arguments.of(frame(Sequenced.TYPE).i64(7).i64(Long.MIN_VALUE), "sequenced seq"),
        Arguments.of(frame(StreamAck.TYPE).i64(7).i64(-1).i64(0), "stream ack received"),
        Arguments.of(frame(StreamAck.TYPE).i64(7).i64(0).i64(-1), "stream ack delivered"),
        Arguments.of(frame(StreamState.TYPE).i64(-1).i64(0).i64(0).i64(0), "stream state epoch"),
        Arguments.of(frame(StreamState.TYPE).i64(0).i64(0).i64(-1).i64(0), "stream state stable"),
        Arguments.of(frame(SyncReply.TYPE).i64(0).i64(-1), "sync reply previousEpoch"),
        Arguments.of(frame(SyncReply.TYPE).i64(0).i64(0).i64(-1), "sync reply delivered"),
        Arguments.of(
            syncReply(0, 1).u16(1).i64(-1).bytes(new byte[11]), "sync reply entries[0].seq"),
        Arguments.of(sequenced().u8(Joined.CODE).str("alice").i64(-1), "joined session"),
        Arguments.of(sequenced().u8(Chat.CODE).str("alice").i64(5).i64(-1), "chat clientSeq"),
        Arguments.of(chatUpToText().utf8("hi").i64(-1), "chat previous"),
        Arguments.of(
            sequenced().u8(ChatRejected.CODE).str("alice").i64(-1), "chat rejected session"),
        Arguments.of(
            sequenced().u8(ChatRejected.CODE).str("alice").i64(5).i64(-1),
            "chat rejected clientSeq"),
        Arguments.of(sequenced().u8(Left.CODE).str("alice").i64(-1), "left session"),
        Arguments.of(sequenced().u8(Detached.CODE).str("alice").i64(-1), "detached session"),
        Arguments.of(sequenced().u8(Resumed.CODE).str("alice").i64(-1), "resumed session"),
        Arguments.of(
            sequenced().u8(Resumed.CODE).str("alice").i64(5).str("server3").i64(-1),
            "resumed lastClientSeq"),
        Arguments.of(sequenced().u8(Carried.CODE).i64(-1), "carried epoch"),
        Arguments.of(sequenced().u8(Carried.CODE).i64(0).i64(-1), "carried seq"),
        Arguments.of(
            sequenced()
                .u8(Directory.CODE)
                .i32(0)
                .i32(1)
                .u16(1)
                .str("alice")
                .i64(-1)
                .bytes(new byte[23]),
            "directory sessions[0].session"),
        Arguments.of(
            sessionAlice(syncReply(0, 1).u16(0).u16(2))
                .str("bob")
                .i64(6)
                .str("s")
                .i64(-1)
                .u8(0)
                .bytes(new byte[16]),
            "sync reply sessions[1].lastClientSeq"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("negativeFields")
  void negativeNumberIsRejectedAsInvalidField(RawFrame frame, String field) {
    // Rejected before the missing rest of the frame is looked for; a list count is checked
    // against the bytes left first, so the frames with sessions have padding for them.
    byte[] bytes = frame.build();
    long value = field.equals("sequenced seq") ? Long.MIN_VALUE : -1;

    assertRejected(bytes, Reason.INVALID_FIELD).withMessage(field + " must be >= 0, was " + value);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 10, 127, 255})
  void unknownEntryCodeIsRejectedAsInvalidField(int code) {
    byte[] inSequenced = sequenced().u8(code).build();
    byte[] inForward = frame(Forward.TYPE).u8(code).build();
    byte[] inCarried = sequenced().u8(Carried.CODE).i64(1).i64(1).u8(code).build();

    assertRejected(inSequenced, Reason.INVALID_FIELD)
        .withMessage("sequenced entry has unknown entry code " + code);
    assertRejected(inForward, Reason.INVALID_FIELD)
        .withMessage("forward request has unknown entry code " + code);
    assertRejected(inCarried, Reason.INVALID_FIELD)
        .withMessage("carried entry has unknown entry code " + code);
  }

  // ------------------------------------------------------------------ counts and lengths

  @Test
  void sessionCountThatCannotFitInTheRestOfTheFrameIsRejectedBeforeAllocating() {
    byte[] frame =
        sessionAlice(sequenced().u8(Directory.CODE).i32(0).i32(1).u16(0xFFFF)).build();

    assertRejected(frame, Reason.TRUNCATED)
        .withMessage("frame ends inside directory sessions at byte 56: 65535 of them need at least"
            + " 2424795 bytes, 47 left");
  }

  @Test
  void entryCountThatCannotFitInTheRestOfTheFrameIsRejectedBeforeAllocating() {
    byte[] frame =
        syncReply(0, 1).u16(2).i64(1).u8(Left.CODE).str("a").i64(1).u16(0).build();

    assertRejected(frame, Reason.TRUNCATED)
        .withMessage(
            "frame ends inside sync reply entries at byte 63: 2 of them need at least 38 bytes,"
                + " 21 left");
  }

  @Test
  void countThatPassesTheBoundIsStillCheckedElementByElement() {
    // Two sessions announced and the 74 bytes two of the smallest take, but the first is larger,
    // so the second runs out.
    byte[] frame = sequenced()
        .u8(Directory.CODE)
        .i32(0)
        .i32(1)
        .u16(2)
        .str("alice")
        .i64(1)
        .str("b")
        .i64(2)
        .u8(0)
        .i64(0)
        .i64(0) // 41 bytes
        .str("c")
        .i64(1)
        .str("b")
        .bytes(new byte[21]) // 33 bytes
        .build();

    assertRejected(frame, Reason.TRUNCATED)
        .withMessage("frame ends inside directory sessions[1].token low at byte 126: needs 8 bytes,"
            + " 4 left");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("messages")
  void bytesAfterTheBodyOfARoutingMessageAreRejectedAsLengthMismatch(ClusterMessage message) {
    byte[] valid = ClusterCodec.encode(envelope(message));
    byte[] padded = Arrays.copyOf(valid, valid.length + 1);
    ByteBuffer.wrap(padded).putInt(padded.length - 4);

    assertRejected(padded, Reason.LENGTH_MISMATCH)
        .withMessage("1 byte follows the end of the "
            + message.getClass().getSimpleName()
            + " body at byte "
            + valid.length);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fuzzSamples")
  void everyCutOfARoutingFrameIsRejectedAsTruncated(ClusterEnvelope envelope) {
    byte[] frame = ClusterCodec.encode(envelope);
    IntStream.range(0, frame.length).forEach(length -> {
      byte[] cut = Arrays.copyOf(frame, length);
      assertRejected(cut, Reason.TRUNCATED);
      if (length >= 4) { // and with a length prefix that matches the cut
        ByteBuffer.wrap(cut).putInt(length - 4);
        assertRejected(cut, Reason.TRUNCATED);
      }
    });
  }
}
