package io.github.ringleader.messaging.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.Credential;
import io.github.ringleader.messaging.session.ResumeToken;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.session.ServerEvent.Reason;
import io.github.ringleader.messaging.transport.CodecException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ClientCodecTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final long FUZZ_SEED = 0xC11E_47C0DEL;
  private static final int FUZZ_ITERATIONS = 20_000;

  private static final String LONGEST_NAME = "z" + "9".repeat(31);

  /** An epoch id as {@code Epochs} makes them: term 3, leader hash a4f2c1, flush 1. */
  /** A resume token as the pinned frames carry it. */
  private static final ResumeToken TOKEN =
      new ResumeToken(0x0123456789abcdefL, 0xfedcba9876543210L);

  private static final long EPOCH = 0x0000_03a4_f2c1_0001L;

  /** The same leader's next epoch in that term: 3.2@a4f2c1. */
  private static final long NEXT_EPOCH = EPOCH + 1;

  /** An epoch id of a term of 2^23 or more, whose top bit is set: negative as a {@code long}. */
  private static final long TOP_BIT_EPOCH = 0x8000_00a4_f2c1_0000L;

  static Stream<ClientRequest> requests() {
    return Stream.of(
        new ClientRequest.Hello("alice"),
        new ClientRequest.Hello(LONGEST_NAME),
        new ClientRequest.Hello("0"),
        new ClientRequest.Send(1, null, "Hello everyone!"),
        new ClientRequest.Send(2, "bob", "hé 😀"),
        new ClientRequest.Send(0, null, ""),
        new ClientRequest.Send(Bounds.MAX_CLIENT_SEQ, LONGEST_NAME, "x".repeat(4096)),
        new ClientRequest.Send(3, "bob", "é".repeat(2048)),
        new ClientRequest.ListUsers(),
        new ClientRequest.Bye(),
        new ClientRequest.ListServers(),
        new ClientRequest.Resume("alice", 5, EPOCH, 12),
        new ClientRequest.Resume("0", 0, 0, 0),
        new ClientRequest.Resume(LONGEST_NAME, Long.MAX_VALUE, TOP_BIT_EPOCH, Long.MAX_VALUE),
        new ClientRequest.Resume("bob", 1, -1, 1),
        new ClientRequest.Resume("bob", 1, Long.MIN_VALUE, 0),
        new ClientRequest.Resume("bob", 1, 2, 3, new ResumeToken(-1, Long.MIN_VALUE)),
        new ClientRequest.Hello("alice", credential("alice", "correct horse")),
        new ClientRequest.Hello("bot-1", credential(LONGEST_NAME, "é😀".repeat(170))),
        new ClientRequest.Hello("a", credential("a", "x".repeat(Credential.MAX_SECRET_BYTES))),
        new ClientRequest.Resume("alice", 5, EPOCH, 12, TOKEN, credential("alice", "s")));
  }

  private static Credential credential(String user, String secret) {
    return new Credential(user, secret.toCharArray());
  }

  static Stream<ServerEvent> events() {
    return Stream.of(
        new ServerEvent.Welcome("alice", 5, NodeId.of("server1")),
        new ServerEvent.Welcome(LONGEST_NAME, Long.MAX_VALUE, NodeId.of("s".repeat(64))),
        new ServerEvent.Welcome("alice", 5, NodeId.of("server1"), EPOCH, 3),
        new ServerEvent.Welcome("alice", 5, NodeId.of("server1"), TOP_BIT_EPOCH, Long.MAX_VALUE),
        new ServerEvent.Welcome("bob", 0, NodeId.of("s"), Long.MIN_VALUE, 0),
        new ServerEvent.Welcome(
            "bob", 1, NodeId.of("s"), 2, 3, new ResumeToken(Long.MIN_VALUE, -1)),
        new ServerEvent.Refused(Reason.NAME_TAKEN, "the name alice is taken", null),
        new ServerEvent.Refused(Reason.SERVER_FULL, "full; server2 has room", NodeId.of("server2")),
        new ServerEvent.Refused(Reason.INVALID_NAME, "x".repeat(512), null),
        new ServerEvent.Accepted(0),
        new ServerEvent.Accepted(Long.MAX_VALUE),
        new ServerEvent.Rejected(7, Reason.UNKNOWN_RECIPIENT, "no client named dave is connected"),
        new ServerEvent.Rejected(8, Reason.BUSY, ""),
        new ServerEvent.Message("alice", null, "Hello everyone!"),
        new ServerEvent.Message("alice", "bob", "Hi Bob \u0000 ü"),
        new ServerEvent.Message(LONGEST_NAME, LONGEST_NAME, "€".repeat(1365)),
        new ServerEvent.Message("alice", null, "hi", EPOCH, 41),
        new ServerEvent.Message("alice", "bob", "hé", TOP_BIT_EPOCH, 1),
        new ServerEvent.Message(LONGEST_NAME, LONGEST_NAME, "x".repeat(4096), -1L, Long.MAX_VALUE),
        new ServerEvent.Message("bob", "alice", "hi", EPOCH, 41, 6, 3),
        new ServerEvent.Message("alice", null, "", 0, 0, 1, 0),
        new ServerEvent.Message("alice", null, "", 0, 0, 0, 1),
        new ServerEvent.Message("alice", "bob", "hé", TOP_BIT_EPOCH, 1, Long.MAX_VALUE, 1),
        new ServerEvent.Message(
            LONGEST_NAME,
            LONGEST_NAME,
            "x".repeat(4096),
            -1L,
            Long.MAX_VALUE,
            Long.MAX_VALUE,
            Long.MAX_VALUE),
        new ServerEvent.Presence("bob", true, "joined"),
        new ServerEvent.Presence("bob", false, "lost its connection"),
        new ServerEvent.Users(List.of()),
        new ServerEvent.Users(List.of("alice", "bob", "charlie")),
        new ServerEvent.Goodbye("bye"),
        new ServerEvent.Goodbye(""),
        new ServerEvent.Servers(NodeId.of("server1"), List.of()),
        new ServerEvent.Servers(
            NodeId.of("server2"),
            List.of(
                new ServerEvent.ServerInfo(NodeId.of("server1"), "", 5001, 10, 100, false),
                new ServerEvent.ServerInfo(NodeId.of("server2"), "127.0.0.1", 5002, 0, 100, false),
                new ServerEvent.ServerInfo(
                    NodeId.of("server3"), "[::1]", 65535, Integer.MAX_VALUE, 0, true),
                new ServerEvent.ServerInfo(
                    NodeId.of("s".repeat(64)), "h".repeat(253), 0, 0, Integer.MAX_VALUE, false))),
        new ServerEvent.Position(EPOCH, 41),
        new ServerEvent.Position(-1, 0),
        new ServerEvent.Position(0, Long.MAX_VALUE),
        new ServerEvent.Resumed("alice", 5, NodeId.of("server2"), 7, EPOCH, 40, true),
        new ServerEvent.Resumed("alice", 5, NodeId.of("server2"), 0, EPOCH, 40, false),
        new ServerEvent.Resumed("a", 0, NodeId.of("s"), 0, 0, 0, true),
        new ServerEvent.Resumed(
            LONGEST_NAME,
            Long.MAX_VALUE,
            NodeId.of("s".repeat(64)),
            Long.MAX_VALUE,
            TOP_BIT_EPOCH,
            Long.MAX_VALUE,
            false),
        new ServerEvent.Refused(Reason.SESSION_ENDED, "session 5 of alice has ended", null));
  }

  private static List<byte[]> validFrames() {
    List<byte[]> frames = new ArrayList<>();
    requests().map(ClientCodec::encodeRequest).forEach(frames::add);
    events().map(ClientCodec::encodeEvent).forEach(frames::add);
    return frames;
  }

  private static boolean isRequestFrame(byte[] frame) {
    return frame.length > 7 && (frame[7] & 0xFF) < 65;
  }

  // ------------------------------------------------------------------ round trips

  @ParameterizedTest(name = "{0}")
  @MethodSource("requests")
  void everyRequestSurvivesARoundTrip(ClientRequest request) throws CodecException {
    byte[] frame = ClientCodec.encodeRequest(request);
    assertThat(frame.length).isLessThanOrEqualTo(ClientCodec.MAX_CLIENT_FRAME_BYTES);
    assertThat(ClientCodec.decodeRequest(frame)).isEqualTo(request);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("events")
  void everyEventSurvivesARoundTrip(ServerEvent event) throws CodecException {
    byte[] frame = ClientCodec.encodeEvent(event);
    assertThat(frame.length).isLessThanOrEqualTo(ClientCodec.MAX_CLIENT_FRAME_BYTES);
    assertThat(ClientCodec.decodeEvent(frame)).isEqualTo(event);
  }

  @Test
  void checkSendRefusesExactlyWhatEncodingRefusesWithTheSameMessage() {
    String tooLong = "x".repeat(ClientCodec.MAX_TEXT_BYTES + 1);
    String[][] cases = {
      {null, "hello"},
      {"bob", "hi"},
      {"bad name", "hi"},
      {null, tooLong},
      {null, "\uD800 alone"},
      {null, "é".repeat(ClientCodec.MAX_TEXT_BYTES / 2)},
      {null, "é".repeat(ClientCodec.MAX_TEXT_BYTES / 2 + 1)}
    };
    for (String[] c : cases) {
      String encodeError =
          errorOf(() -> ClientCodec.encodeRequest(new ClientRequest.Send(1, c[0], c[1])));
      String checkError = errorOf(() -> ClientCodec.checkSend(c[0], c[1]));
      assertThat(checkError)
          .as("to=%s, text of %d chars", c[0], c[1].length())
          .isEqualTo(encodeError);
    }
  }

  private static @org.jspecify.annotations.Nullable String errorOf(Runnable action) {
    try {
      action.run();
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  @Test
  void aPositionIsTheTypeThenTheEpochAndTheSeq() throws CodecException {
    byte[] frame = ClientCodec.encodeEvent(new ServerEvent.Position(0x0102030405060708L, 9));
    assertThat(frame).isEqualTo(hex("00000014 5243014b 0102030405060708 0000000000000009"));
    assertThat(ClientCodec.decodeEvent(frame))
        .isEqualTo(new ServerEvent.Position(0x0102030405060708L, 9));
    assertThat(rejectedEvent(hex("00000014 5243014b 0102030405060708 ffffffffffffffff")))
        .hasMessageContaining("position seq");
    assertThat(rejectedEvent(hex("0000000c 5243014b 0102030405060708")).reason())
        .isEqualTo(CodecException.Reason.TRUNCATED);
  }

  @Test
  void everyReasonSurvivesARoundTripWithItsOwnCode() throws CodecException {
    for (Reason reason : Reason.values()) {
      ServerEvent.Rejected rejected = new ServerEvent.Rejected(1, reason, reason.name());
      assertThat(ClientCodec.decodeEvent(ClientCodec.encodeEvent(rejected))).isEqualTo(rejected);
    }
    assertThat(Arrays.stream(Reason.values())
            .map(ClientCodec::reasonCode)
            .distinct()
            .count())
        .isEqualTo(Reason.values().length);
  }

  @Test
  void aUsersListAsLargeAsOneFrameHoldsSurvivesARoundTrip() throws CodecException {
    List<String> names = new ArrayList<>();
    for (int i = 0; names.size() < 1000; i++) {
      names.add(String.format("user%028d", i));
    }
    int fit = ClientCodec.maxUsersThatFit(names);
    assertThat(fit).isBetween(400, 999);
    ServerEvent.Users users = new ServerEvent.Users(names.subList(0, fit));
    byte[] frame = ClientCodec.encodeEvent(users);
    assertThat(frame.length).isLessThanOrEqualTo(ClientCodec.MAX_CLIENT_FRAME_BYTES);
    assertThat(ClientCodec.decodeEvent(frame)).isEqualTo(users);
    assertThatThrownBy(
            () -> ClientCodec.encodeEvent(new ServerEvent.Users(names.subList(0, fit + 1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("16384");
  }

  // ------------------------------------------------------------------ the bytes of the spec

  @Test
  void framesEncodeToTheBytesTheSpecDescribes() {
    assertThat(HEX.formatHex(ClientCodec.encodeRequest(new ClientRequest.Hello("alice"))))
        .isEqualTo("0000000a524301010561" + "6c696365");
    assertThat(HEX.formatHex(ClientCodec.encodeRequest(new ClientRequest.Send(2, "bob", "hé"))))
        .isEqualTo("00000015524301020000000000000002036" + "26f62000368c3a9");
    assertThat(HEX.formatHex(
            ClientCodec.encodeEvent(new ServerEvent.Welcome("alice", 5, NodeId.of("server2")))))
        .isEqualTo("0000003a524301410561" + "6c69636500000000000000050773657276657232"
            + "0000000000000000" + "0000000000000000"
            + "0000000000000000" + "0000000000000000");
    assertThat(HEX.formatHex(ClientCodec.encodeEvent(
            new ServerEvent.Welcome("alice", 5, NodeId.of("server2"), EPOCH, 39, TOKEN))))
        .isEqualTo(
            "0000003a" + "52430141" + "05616c696365" + "0000000000000005" + "07736572766572" + "32"
                + "000003a4f2c10001" + "0000000000000027"
                + "0123456789abcdef" + "fedcba9876543210");
    assertThat(HEX.formatHex(
            ClientCodec.encodeEvent(new ServerEvent.Message("bob", "alice", "hi", EPOCH, 41))))
        .isEqualTo("00000032" + "52430145" + "03626f62" + "05616c696365" + "00026869"
            + "000003a4f2c10001" + "0000000000000029"
            + "0000000000000000" + "0000000000000000");
    assertThat(HEX.formatHex(ClientCodec.encodeEvent(
            new ServerEvent.Message("bob", "alice", "hi", EPOCH, 41, 6, 3))))
        .isEqualTo("00000032" + "52430145" + "03626f62" + "05616c696365" + "00026869"
            + "000003a4f2c10001" + "0000000000000029"
            + "0000000000000006" + "0000000000000003");
    assertThat(HEX.formatHex(ClientCodec.encodeEvent(
            new ServerEvent.Message("alice", "bob", "hé", TOP_BIT_EPOCH, 41))))
        .isEqualTo("00000033" + "52430145" + "05616c696365" + "03626f62" + "000368c3a9"
            + "800000a4f2c10000" + "0000000000000029"
            + "0000000000000000" + "0000000000000000");
    assertThat(HEX.formatHex(ClientCodec.encodeEvent(
            new ServerEvent.Message("alice", "bob", "hé", TOP_BIT_EPOCH, 41, Long.MAX_VALUE, 1))))
        .isEqualTo("00000033" + "52430145" + "05616c696365" + "03626f62" + "000368c3a9"
            + "800000a4f2c10000" + "0000000000000029"
            + "7fffffffffffffff" + "0000000000000001");
    assertThat(HEX.formatHex(
            ClientCodec.encodeRequest(new ClientRequest.Resume("alice", 5, EPOCH, 41, TOKEN))))
        .isEqualTo("00000032" + "52430106" + "05616c696365" + "0000000000000005"
            + "000003a4f2c10001" + "0000000000000029"
            + "0123456789abcdef" + "fedcba9876543210");
    assertThat(HEX.formatHex(ClientCodec.encodeEvent(
            new ServerEvent.Resumed("alice", 5, NodeId.of("server3"), 7, NEXT_EPOCH, 5, true))))
        .isEqualTo(
            "00000033" + "5243014a" + "05616c696365" + "0000000000000005" + "0773657276657233"
                + "0000000000000007" + "000003a4f2c10002" + "0000000000000005" + "01");
    assertThat(HEX.formatHex(
            ClientCodec.encodeEvent(new ServerEvent.Refused(Reason.SESSION_ENDED, "ended", null))))
        .isEqualTo("0000000d" + "52430142" + "08" + "0005" + "656e646564" + "00");
    assertThat(HEX.formatHex(ClientCodec.encodeRequest(new ClientRequest.Bye())))
        .isEqualTo("0000000452430104");
    assertThat(HEX.formatHex(ClientCodec.encodeRequest(new ClientRequest.ListServers())))
        .isEqualTo("0000000452430105");
    ServerEvent.Servers servers = new ServerEvent.Servers(
        NodeId.of("s2"),
        List.of(
            new ServerEvent.ServerInfo(NodeId.of("s1"), "", 5001, 10, 100, false),
            new ServerEvent.ServerInfo(NodeId.of("s2"), "127.0.0.1", 5002, 1, 100, true)));
    assertThat(HEX.formatHex(ClientCodec.encodeEvent(servers)))
        .isEqualTo("00000030" + "52430149" + "027332" + "0002"
            + "027331" + "00" + "1389" + "0000000a" + "00000064" + "00"
            + "027332" + "093132372e302e302e31" + "138a" + "00000001" + "00000064" + "01");
  }

  @Test
  void aServerListAsLargeAsOneFrameHoldsSurvivesARoundTrip() throws CodecException {
    List<ServerEvent.ServerInfo> servers = new ArrayList<>();
    for (int i = 0; i < 256; i++) {
      servers.add(new ServerEvent.ServerInfo(
          NodeId.of(String.format("server%058d", i)), "h".repeat(200), 5000, i, 100, i == 0));
    }
    NodeId self = servers.get(0).id();
    int fit = ClientCodec.maxServersThatFit(self, servers);
    assertThat(fit).isBetween(30, 255);
    ServerEvent.Servers list = new ServerEvent.Servers(self, servers.subList(0, fit));
    byte[] frame = ClientCodec.encodeEvent(list);
    assertThat(frame.length).isLessThanOrEqualTo(ClientCodec.MAX_CLIENT_FRAME_BYTES);
    assertThat(ClientCodec.decodeEvent(frame)).isEqualTo(list);
    assertThatThrownBy(() ->
            ClientCodec.encodeEvent(new ServerEvent.Servers(self, servers.subList(0, fit + 1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("16384");
  }

  @Test
  void serverListFieldsOutsideTheirRangesAreRejected() {
    // one server "a", host "", port 1, clients 0, capacity 0, then the leader flag
    assertThat(rejectedEvent(hex("00000016 52430149 0161 0001 0161 00 0001 00000000 00000000 02")))
        .hasMessage("servers[0] leader must be 0 or 1, was 2");
    assertThat(rejectedEvent(hex("00000016 52430149 0161 0001 0161 00 0001 80000000 00000000 00")))
        .hasMessage("servers[0] clients must be >= 0, was -2147483648");
    CodecException badHost =
        rejectedEvent(hex("00000018 52430149 0161 0001 0161 02 612f 0001 00000000 00000000 00"));
    assertThat(badHost.reason()).isEqualTo(CodecException.Reason.INVALID_FIELD);
    assertThat(badHost).hasMessage("servers[0] host has invalid character U+002F at index 1");
    assertThat(rejectedEvent(hex("00000008 52430149 0161 ffff")))
        .hasMessageContaining("65535 of them need at least");
  }

  // ------------------------------------------------------------------ the encoder's refusals

  @Test
  void encoderRefusesWhatCannotTravel() {
    assertThatThrownBy(() -> ClientCodec.encodeRequest(new ClientRequest.Hello("bad name")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("hello name is invalid");
    assertThatThrownBy(() -> ClientCodec.encodeRequest(new ClientRequest.Send(1, "dave!", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("send to is invalid");
    assertThatThrownBy(
            () -> ClientCodec.encodeRequest(new ClientRequest.Send(1, null, "x".repeat(4097))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("send text is 4097 bytes of UTF-8, limit is 4096");
    assertThatThrownBy(() -> ClientCodec.encodeRequest(new ClientRequest.Send(1, null, "a\uD800b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unpaired surrogate at index 1");
    assertThatThrownBy(() -> ClientCodec.encodeRequest(new ClientRequest.Send(-1, null, "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("send seq must be >= 0");
    assertThatThrownBy(() -> ClientCodec.encodeEvent(new ServerEvent.Goodbye("x".repeat(513))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("goodbye reason is 513 bytes");
  }

  @Test
  void encoderRefusesNegativeSessionsAndSeqsOfResumeResumedWelcomeAndMessage() {
    NodeId server = NodeId.of("server2");
    assertThatThrownBy(() -> ClientCodec.encodeRequest(new ClientRequest.Resume("alice", -1, 0, 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("resume session must be >= 0, was -1");
    assertThatThrownBy(
            () -> ClientCodec.encodeRequest(new ClientRequest.Resume("a", 5, 0, Long.MIN_VALUE)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("resume seq must be >= 0, was " + Long.MIN_VALUE);
    assertThatThrownBy(() -> ClientCodec.encodeRequest(new ClientRequest.Resume("al ice", 5, 0, 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("resume name is invalid");
    assertThatThrownBy(
            () -> ClientCodec.encodeEvent(new ServerEvent.Resumed("a", -2, server, 0, 0, 0, true)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("resumed session must be >= 0, was -2");
    assertThatThrownBy(
            () -> ClientCodec.encodeEvent(new ServerEvent.Resumed("a", 5, server, -1, 0, 0, true)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("resumed lastSendSeq must be >= 0, was -1");
    assertThatThrownBy(
            () -> ClientCodec.encodeEvent(new ServerEvent.Resumed("a", 5, server, 0, 0, -1, true)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("resumed seq must be >= 0, was -1");
    assertThatThrownBy(
            () -> ClientCodec.encodeEvent(new ServerEvent.Welcome("alice", 5, server, EPOCH, -1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("welcome seq must be >= 0, was -1");
    assertThatThrownBy(
            () -> ClientCodec.encodeEvent(new ServerEvent.Message("alice", null, "hi", EPOCH, -3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("message seq must be >= 0, was -3");
  }

  @Test
  void encoderRefusesANegativeFromSessionOrFromSeqOfAMessage() {
    assertThatThrownBy(() ->
            ClientCodec.encodeEvent(new ServerEvent.Message("alice", null, "hi", EPOCH, 41, -1, 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("message fromSession must be >= 0, was -1");
    assertThatThrownBy(() -> ClientCodec.encodeEvent(
            new ServerEvent.Message("alice", null, "hi", EPOCH, 41, Long.MIN_VALUE, 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("message fromSession must be >= 0, was " + Long.MIN_VALUE);
    assertThatThrownBy(() ->
            ClientCodec.encodeEvent(new ServerEvent.Message("alice", null, "hi", EPOCH, 41, 6, -3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("message fromSeq must be >= 0, was -3");
    assertThatThrownBy(() -> ClientCodec.encodeEvent(
            new ServerEvent.Message("alice", null, "hi", 0, 0, 0, Long.MIN_VALUE)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("message fromSeq must be >= 0, was " + Long.MIN_VALUE);
  }

  @Test
  void anEpochWithItsTopBitSetTravelsAsItIs() throws CodecException {
    byte[] frame =
        ClientCodec.encodeRequest(new ClientRequest.Resume("alice", 5, TOP_BIT_EPOCH, 41));
    int epochAt = 4 + 4 + (1 + 5) + 8;
    assertThat(HEX.formatHex(frame, epochAt, epochAt + 8)).isEqualTo("800000a4f2c10000");
    ClientRequest.Resume decoded = (ClientRequest.Resume) ClientCodec.decodeRequest(frame);
    assertThat(decoded.epoch()).isEqualTo(TOP_BIT_EPOCH).isNegative();
    assertThat(decoded.seq()).isEqualTo(41);
  }

  // ------------------------------------------------------------------ rejections

  private static CodecException rejectedRequest(byte[] frame) {
    try {
      ClientRequest request = ClientCodec.decodeRequest(frame);
      throw new AssertionError("decoded " + request + " from " + HEX.formatHex(frame));
    } catch (CodecException e) {
      return e;
    }
  }

  private static CodecException rejectedEvent(byte[] frame) {
    try {
      ServerEvent event = ClientCodec.decodeEvent(frame);
      throw new AssertionError("decoded " + event + " from " + HEX.formatHex(frame));
    } catch (CodecException e) {
      return e;
    }
  }

  private static byte[] hex(String hex) {
    return HEX.parseHex(hex.replace(" ", ""));
  }

  @Test
  void frameWithTheClusterMagicIsRejectedAsBadMagic() {
    CodecException e = rejectedRequest(hex("00000004 524c0104"));
    assertThat(e.reason()).isEqualTo(CodecException.Reason.BAD_MAGIC);
    assertThat(e).hasMessageContaining("expected 0x52 0x43 (\"RC\")");
  }

  @Test
  void frameOfAnotherVersionIsRejectedAsUnsupportedVersion() {
    assertThat(rejectedRequest(hex("00000004 52430204")).reason())
        .isEqualTo(CodecException.Reason.UNSUPPORTED_VERSION);
  }

  // ------------------------------------------------------------------ credentials

  @Test
  void aSignedHelloIsTypeSevenWithKindUserAndSecretAfterTheName() {
    assertThat(HEX.formatHex(
            ClientCodec.encodeRequest(new ClientRequest.Hello("al", credential("bo", "pw")))))
        .isEqualTo("0000000f" + "52430107" + "02616c" + "01" + "02626f" + "0002" + "7077");
  }

  @Test
  void aSignedResumeIsTypeEightWithTheCredentialAfterTheToken() throws CodecException {
    ClientRequest.Resume resume =
        new ClientRequest.Resume("al", 5, 1, 2, TOKEN, credential("al", "pw"));
    byte[] frame = ClientCodec.encodeRequest(resume);
    assertThat(frame[7]).isEqualTo((byte) 8);
    assertThat(HEX.formatHex(frame))
        .endsWith("0123456789abcdef" + "fedcba9876543210" + "01" + "02616c" + "0002" + "7077");
    assertThat(ClientCodec.decodeRequest(frame)).isEqualTo(resume);
  }

  @Test
  void aCredentialNeverShowsItsSecretInToStringNorInAnError() {
    ClientRequest.Hello hello = new ClientRequest.Hello("alice", credential("alice", "hunter2"));
    assertThat(hello.toString()).contains("alice").doesNotContain("hunter2");
    // Invalid UTF-8 in the secret: the error names the field and index, never the bytes.
    CodecException e = rejectedRequest(hex("00000010 52430107 02616c 01 02616c 0003 68ff32"));
    assertThat(e.reason()).isEqualTo(CodecException.Reason.INVALID_FIELD);
    assertThat(e).hasMessage("hello credential secret is not well-formed UTF-8 at index 1");
  }

  @Test
  void malformedCredentialFieldsAreRejectedWithTheFieldNamed() {
    CodecException kind = rejectedRequest(hex("0000000f 52430107 02616c 02 02616c 0002 7077"));
    assertThat(kind.reason()).isEqualTo(CodecException.Reason.INVALID_FIELD);
    assertThat(kind).hasMessageContaining("hello credential kind 2 is not known");
    CodecException user = rejectedRequest(hex("0000000f 52430107 02616c 01 022d61 0002 7077"));
    assertThat(user).hasMessageStartingWith("hello credential user is invalid: ");
    CodecException empty = rejectedRequest(hex("0000000d 52430107 02616c 01 02616c 0000"));
    assertThat(empty).hasMessage("hello credential secret is 0 bytes, must be 1..1024");
    CodecException tooLong = rejectedRequest(hex("0000000d 52430107 02616c 01 02616c 0401"));
    assertThat(tooLong.reason()).isEqualTo(CodecException.Reason.INVALID_FIELD);
    assertThat(tooLong).hasMessage("hello credential secret is 1025 bytes, must be 1..1024");
    CodecException announcedMore =
        rejectedRequest(hex("0000000f 52430107 02616c 01 02616c 0005 7077"));
    assertThat(announcedMore.reason()).isEqualTo(CodecException.Reason.TRUNCATED);
    CodecException noCredential = rejectedRequest(hex("00000007 52430107 02616c"));
    assertThat(noCredential.reason()).isEqualTo(CodecException.Reason.TRUNCATED);
    CodecException trailing =
        rejectedRequest(hex("00000010 52430107 02616c 01 02616c 0002 7077 00"));
    assertThat(trailing.reason()).isEqualTo(CodecException.Reason.LENGTH_MISMATCH);
  }

  @Test
  void encoderRefusesASecretThatCannotTravel() {
    assertThatThrownBy(
            () -> ClientCodec.encodeRequest(new ClientRequest.Hello("a", credential("a", ""))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("hello credential secret is 0 bytes of UTF-8, must be 1..1024");
    assertThatThrownBy(() -> ClientCodec.encodeRequest(
            new ClientRequest.Hello("a", credential("a", "é".repeat(513)))))
        .hasMessage("hello credential secret is 1026 bytes of UTF-8, must be 1..1024");
    assertThatThrownBy(() ->
            ClientCodec.encodeRequest(new ClientRequest.Hello("a", credential("a", "\ud800"))))
        .hasMessageContaining("unpaired surrogate");
    assertThatThrownBy(
            () -> ClientCodec.encodeRequest(new ClientRequest.Hello("a", credential("-a", "x"))))
        .hasMessageStartingWith("hello credential user is invalid: ");
  }

  @Test
  void anEventSentToTheServerAndARequestSentToTheClientAreUnknownTypes() {
    byte[] goodbye = ClientCodec.encodeEvent(new ServerEvent.Goodbye("bye"));
    CodecException e = rejectedRequest(goodbye);
    assertThat(e.reason()).isEqualTo(CodecException.Reason.UNKNOWN_TYPE);
    assertThat(e).hasMessage("unknown request type 72 (requests are 1..8)");
    byte[] bye = ClientCodec.encodeRequest(new ClientRequest.Bye());
    assertThat(rejectedEvent(bye).reason()).isEqualTo(CodecException.Reason.UNKNOWN_TYPE);
    assertThat(rejectedRequest(hex("00000004 52430100")).reason())
        .isEqualTo(CodecException.Reason.UNKNOWN_TYPE);
    assertThat(rejectedRequest(hex("00000004 52430109")))
        .hasMessage("unknown request type 9 (requests are 1..8)");
    assertThat(rejectedEvent(hex("00000004 5243014c")))
        .hasMessage("unknown event type 76 (events are 65..75)");
  }

  @Test
  void helloWithAnInvalidNameIsRejectedAsInvalidFieldWithoutQuotingRawBytes() {
    CodecException space = rejectedRequest(hex("00000008 52430101 03 6120 62"));
    assertThat(space.reason()).isEqualTo(CodecException.Reason.INVALID_FIELD);
    assertThat(space).hasMessageContaining("hello name is invalid");
    CodecException control = rejectedRequest(hex("00000007 52430101 02 6107"));
    assertThat(control).hasMessageContaining("invalid character U+0007 at index 1");
    CodecException nonAscii = rejectedRequest(hex("00000007 52430101 02 61c3"));
    assertThat(nonAscii).hasMessageContaining("non-ASCII byte 0xC3 at index 1");
    assertThat(rejectedRequest(hex("00000005 52430101 00")).reason())
        .isEqualTo(CodecException.Reason.INVALID_FIELD);
  }

  @Test
  void sendWithANegativeSeqOrABadTextIsRejectedAsInvalidField() {
    byte[] negative = hex("0000000f 52430102 8000000000000001 00 0000");
    assertThat(rejectedRequest(negative)).hasMessageContaining("send seq must be >= 0");
    byte[] overlong = hex("00000011 52430102 0000000000000001 00 0002 c0af");
    assertThat(rejectedRequest(overlong))
        .hasMessageContaining("send text is not well-formed UTF-8");
    byte[] surrogate = hex("00000012 52430102 0000000000000001 00 0003 eda080");
    assertThat(rejectedRequest(surrogate).reason()).isEqualTo(CodecException.Reason.INVALID_FIELD);
    byte[] overLimit = hex("0000000f 52430102 0000000000000001 00 1001");
    CodecException e = rejectedRequest(overLimit);
    assertThat(e.reason()).isEqualTo(CodecException.Reason.INVALID_FIELD);
    assertThat(e).hasMessage("send text is 4097 bytes, limit is 4096");
  }

  @Test
  void eventFieldsOutsideTheirRangesAreRejected() {
    assertThat(rejectedEvent(hex("00000009 52430146 0162 02 0000")))
        .hasMessage("presence joined must be 0 or 1, was 2");
    assertThat(rejectedEvent(hex("00000008 52430142 0b 0000 00")))
        .hasMessage("refused code 11 is not a known reason");
    assertThat(rejectedEvent(hex("00000009 52430142 02 0000 01 2f")).reason())
        .isEqualTo(CodecException.Reason.INVALID_ID);
    assertThat(rejectedEvent(hex("0000000f 52430141 0161 0000000000000001 00")).reason())
        .isEqualTo(CodecException.Reason.INVALID_ID);
  }

  @Test
  void resumeWithANegativeSessionOrSeqIsRejectedAsInvalidField() {
    // name "a", session, epoch, seq
    String resume = "0000001e 52430106 0161";
    CodecException session =
        rejectedRequest(hex(resume + " 8000000000000000 0000000000000000 0000000000000001"));
    assertThat(session.reason()).isEqualTo(CodecException.Reason.INVALID_FIELD);
    assertThat(session).hasMessage("resume session must be >= 0, was " + Long.MIN_VALUE);
    CodecException seq =
        rejectedRequest(hex(resume + " 0000000000000005 0000000000000000 ffffffffffffffff"));
    assertThat(seq.reason()).isEqualTo(CodecException.Reason.INVALID_FIELD);
    assertThat(seq).hasMessage("resume seq must be >= 0, was -1");
    String badName = "0000001e 52430106 0120";
    assertThat(
            rejectedRequest(hex(badName + " 0000000000000005 0000000000000000 0000000000000001")))
        .hasMessage("resume name is invalid: a name may only contain " + IdChars.ALLOWED
            + "; found ' ' at position 1");
  }

  @Test
  void resumedWithACompleteFlagOtherThanZeroOrOneIsRejectedAsInvalidField() throws CodecException {
    // name "a", session 5, server "s", lastSendSeq 7, epoch, seq 9, then the flag
    String head = "00000029 5243014a 0161 0000000000000005 0173";
    String upToFlag = head + " 0000000000000007 000003a4f2c10001 0000000000000009";
    assertThat(ClientCodec.decodeEvent(hex(upToFlag + " 00")))
        .isEqualTo(new ServerEvent.Resumed("a", 5, NodeId.of("s"), 7, EPOCH, 9, false));
    CodecException two = rejectedEvent(hex(upToFlag + " 02"));
    assertThat(two.reason()).isEqualTo(CodecException.Reason.INVALID_FIELD);
    assertThat(two).hasMessage("resumed complete must be 0 or 1, was 2");
    assertThat(rejectedEvent(hex(upToFlag + " ff")))
        .hasMessage("resumed complete must be 0 or 1, was 255");
    assertThat(rejectedEvent(hex(head + " 8000000000000007 000003a4f2c10001 0000000000000009 01")))
        .hasMessage("resumed lastSendSeq must be >= 0, was " + (Long.MIN_VALUE + 7));
    CodecException noServer = rejectedEvent(
        hex("00000028 5243014a 0161 0000000000000005 00 0000000000000007 000003a4f2c10001"
            + " 0000000000000009 01"));
    assertThat(noServer.reason()).isEqualTo(CodecException.Reason.INVALID_ID);
    assertThat(noServer).hasMessage("resumed server is empty");
  }

  @Test
  void welcomeAndMessageWithANegativeSeqAreRejectedButANegativeEpochIsNot() throws CodecException {
    // Welcome "a", session 1, server "s", then epoch and seq, then the token
    String welcome = "00000030 52430141 0161 0000000000000001 0173";
    String noToken = " 0000000000000000 0000000000000000";
    assertThat(rejectedEvent(hex(welcome + " 0000000000000000 8000000000000000" + noToken)))
        .hasMessage("welcome seq must be >= 0, was " + Long.MIN_VALUE);
    assertThat(
            ClientCodec.decodeEvent(hex(welcome + " ffffffffffffffff 0000000000000002" + noToken)))
        .isEqualTo(new ServerEvent.Welcome("a", 1, NodeId.of("s"), -1, 2));
    // Message from "a" to everyone, text "", then epoch and seq, then fromSession and fromSeq
    String message = "00000029 52430145 0161 00 0000";
    String noSender = " 0000000000000000 0000000000000000";
    assertThat(rejectedEvent(hex(message + " 0000000000000000 ffffffffffffffff" + noSender)))
        .hasMessage("message seq must be >= 0, was -1");
    assertThat(
            ClientCodec.decodeEvent(hex(message + " 800000a4f2c10000 0000000000000003" + noSender)))
        .isEqualTo(new ServerEvent.Message("a", null, "", TOP_BIT_EPOCH, 3));
  }

  @Test
  void messageWithANegativeFromSessionOrFromSeqIsRejectedAsInvalidField() throws CodecException {
    // Message from "a" to everyone, text "", epoch E, seq 3, then fromSession and fromSeq
    String upToSender = "00000029 52430145 0161 00 0000 000003a4f2c10001 0000000000000003";
    assertThat(ClientCodec.decodeEvent(hex(upToSender + " 0000000000000006 0000000000000002")))
        .isEqualTo(new ServerEvent.Message("a", null, "", EPOCH, 3, 6, 2));
    CodecException session = rejectedEvent(hex(upToSender + " ffffffffffffffff 0000000000000002"));
    assertThat(session.reason()).isEqualTo(CodecException.Reason.INVALID_FIELD);
    assertThat(session).hasMessage("message fromSession must be >= 0, was -1");
    CodecException seq = rejectedEvent(hex(upToSender + " 0000000000000006 8000000000000000"));
    assertThat(seq.reason()).isEqualTo(CodecException.Reason.INVALID_FIELD);
    assertThat(seq).hasMessage("message fromSeq must be >= 0, was " + Long.MIN_VALUE);
  }

  @Test
  void aWelcomeOrMessageWithoutItsPositionIsTruncated() {
    // The layout before positions were added: the frame ends where the position should start.
    assertThat(
            rejectedEvent(hex("00000010 52430141 0161 0000000000000001 0173")).reason())
        .isEqualTo(CodecException.Reason.TRUNCATED);
    assertThat(rejectedEvent(hex("00000009 52430145 0161 00 0000")))
        .hasMessage("frame ends inside message epoch at byte 13: needs 8 bytes, 0 left");
  }

  @Test
  void aMessageWithoutItsSenderNumbersIsTruncated() {
    // The layout before sender numbers were added: the frame ends after the position.
    CodecException noSession =
        rejectedEvent(hex("00000019 52430145 0161 00 0000 000003a4f2c10001 0000000000000003"));
    assertThat(noSession.reason()).isEqualTo(CodecException.Reason.TRUNCATED);
    assertThat(noSession)
        .hasMessage("frame ends inside message fromSession at byte 29: needs 8 bytes, 0 left");
    CodecException noSeq = rejectedEvent(hex(
        "00000021 52430145 0161 00 0000 000003a4f2c10001 0000000000000003" + " 0000000000000006"));
    assertThat(noSeq.reason()).isEqualTo(CodecException.Reason.TRUNCATED);
    assertThat(noSeq)
        .hasMessage("frame ends inside message fromSeq at byte 37: needs 8 bytes, 0 left");
    CodecException halfASeq =
        rejectedEvent(hex("00000025 52430145 0161 00 0000 000003a4f2c10001 0000000000000003"
            + " 0000000000000006 00000000"));
    assertThat(halfASeq)
        .hasMessage("frame ends inside message fromSeq at byte 37: needs 8 bytes, 4 left");
  }

  @Test
  void usersCountLargerThanTheFrameCanHoldIsRejectedBeforeAllocating() {
    CodecException e = rejectedEvent(hex("00000006 52430147 ffff"));
    assertThat(e.reason()).isEqualTo(CodecException.Reason.TRUNCATED);
    assertThat(e).hasMessageContaining("65535 of them need at least 131070 bytes, 0 left");
  }

  @Test
  void bytesAfterTheBodyAreRejectedAsLengthMismatch() {
    assertThat(rejectedRequest(hex("00000005 52430104 00")).reason())
        .isEqualTo(CodecException.Reason.LENGTH_MISMATCH);
    assertThat(rejectedRequest(hex("00000004 52430104 00")).reason())
        .isEqualTo(CodecException.Reason.LENGTH_MISMATCH);
  }

  @Test
  void aLengthPrefixOverTheLimitIsOversizedEvenAboveTwoGigabytes() {
    assertThat(rejectedRequest(hex("00003ffd 52430104")).reason())
        .isEqualTo(CodecException.Reason.OVERSIZED);
    assertThat(rejectedRequest(hex("ffffffff 52430104")).reason())
        .isEqualTo(CodecException.Reason.OVERSIZED);
  }

  // ------------------------------------------------------------------ stream framing

  @Test
  void frameLengthIsMinusOneUntilThePrefixHasArrivedThenTheWholeSize() throws CodecException {
    byte[] frame = ClientCodec.encodeRequest(new ClientRequest.Hello("alice"));
    for (int available = 0; available < 4; available++) {
      assertThat(ClientCodec.frameLength(frame, 0, available)).isEqualTo(-1);
    }
    assertThat(ClientCodec.frameLength(frame, 0, 4)).isEqualTo(frame.length);
  }

  @Test
  void frameLengthAcceptsExactlyTheLimitAndRejectsOneByteMoreBeforeItArrives()
      throws CodecException {
    byte[] limit = hex("00003ffc");
    assertThat(ClientCodec.frameLength(limit, 0, 4)).isEqualTo(ClientCodec.MAX_CLIENT_FRAME_BYTES);
    byte[] over = hex("00003ffd");
    assertThatThrownBy(() -> ClientCodec.frameLength(over, 0, 4))
        .isInstanceOf(CodecException.class)
        .hasMessageContaining("limit is 16384");
  }

  @Test
  void framesBackToBackOnAStreamAreSplitByFrameLength() throws CodecException {
    List<byte[]> frames = requests().map(ClientCodec::encodeRequest).toList();
    ByteBuffer stream =
        ByteBuffer.allocate(frames.stream().mapToInt(f -> f.length).sum());
    frames.forEach(stream::put);
    byte[] bytes = stream.array();
    List<ClientRequest> decoded = new ArrayList<>();
    int at = 0;
    while (at < bytes.length) {
      int length = ClientCodec.frameLength(bytes, at, bytes.length - at);
      decoded.add(ClientCodec.decodeRequest(bytes, at, length));
      at += length;
    }
    assertThat(decoded).isEqualTo(requests().toList());
  }

  @Test
  void rangeOutsideTheArrayIsTheCallersFaultNotACodecError() {
    assertThatThrownBy(() -> ClientCodec.decodeRequest(new byte[8], 4, 8))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> ClientCodec.frameLength(new byte[8], 6, 4))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  // ------------------------------------------------------------------ truncation everywhere

  @Test
  void everyTruncationOfEveryValidFrameIsRejectedAsTruncated() {
    for (byte[] frame : validFrames()) {
      for (int length = 0; length < frame.length; length++) {
        byte[] cut = Arrays.copyOf(frame, length);
        CodecException e = isRequestFrame(frame) ? rejectedRequest(cut) : rejectedEvent(cut);
        assertThat(e.reason()).as("cut at %d", length).isEqualTo(CodecException.Reason.TRUNCATED);
      }
    }
  }

  @Test
  void everyTruncationWithAMatchingLengthPrefixIsRejectedAsTruncated() {
    for (byte[] frame : validFrames()) {
      for (int length = 4; length < frame.length; length++) {
        byte[] cut = Arrays.copyOf(frame, length);
        ByteBuffer.wrap(cut).putInt(length - 4);
        CodecException e = isRequestFrame(frame) ? rejectedRequest(cut) : rejectedEvent(cut);
        assertThat(e.reason())
            .as("cut at %d of %s", length, HEX.formatHex(frame))
            .isEqualTo(CodecException.Reason.TRUNCATED);
      }
    }
  }

  // ------------------------------------------------------------------ fuzzing

  /** Decodes both ways; fails the test on anything but a result or a CodecException. */
  private static int decodeBothWays(
      byte[] input, EnumSet<CodecException.Reason> seen, String where) {
    int decoded = 0;
    for (boolean asRequest : new boolean[] {true, false}) {
      try {
        Object result =
            asRequest ? ClientCodec.decodeRequest(input) : ClientCodec.decodeEvent(input);
        byte[] again = asRequest
            ? ClientCodec.encodeRequest((ClientRequest) result)
            : ClientCodec.encodeEvent((ServerEvent) result);
        assertThat(again).as("canonical re-encoding, %s", where).isEqualTo(input);
        decoded++;
      } catch (CodecException e) {
        seen.add(e.reason());
      } catch (RuntimeException e) {
        throw new AssertionError(where + ": " + HEX.formatHex(input) + " threw " + e, e);
      }
    }
    return decoded;
  }

  @Test
  void randomBytesAreDecodedOrRejectedButNeverThrowUnchecked() {
    Random random = new Random(FUZZ_SEED);
    EnumSet<CodecException.Reason> seen = EnumSet.noneOf(CodecException.Reason.class);
    for (int i = 0; i < FUZZ_ITERATIONS; i++) {
      byte[] input = new byte[random.nextInt(80)];
      random.nextBytes(input);
      int shape = random.nextInt(3);
      if (shape >= 1 && input.length >= 4) {
        ByteBuffer.wrap(input).putInt(input.length - 4);
      }
      if (shape == 2 && input.length >= 8) {
        input[4] = 'R';
        input[5] = 'C';
        input[6] = 1;
        int[] types = {1, 2, 3, 4, 5, 6, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74};
        input[7] = (byte) types[random.nextInt(types.length)];
      }
      decodeBothWays(input, seen, "iteration " + i);
    }
    assertThat(seen)
        .contains(
            CodecException.Reason.TRUNCATED,
            CodecException.Reason.OVERSIZED,
            CodecException.Reason.BAD_MAGIC,
            CodecException.Reason.INVALID_FIELD);
  }

  @Test
  void mutatedValidFramesAreDecodedOrRejectedButNeverThrowUnchecked() {
    Random random = new Random(FUZZ_SEED);
    List<byte[]> frames = validFrames();
    EnumSet<CodecException.Reason> seen = EnumSet.noneOf(CodecException.Reason.class);
    int decoded = 0;
    for (int i = 0; i < FUZZ_ITERATIONS; i++) {
      byte[] input = frames.get(random.nextInt(frames.size())).clone();
      for (int m = 1 + random.nextInt(3); m > 0; m--) {
        input = mutate(input, random);
      }
      if (input.length >= 4 && random.nextBoolean()) {
        ByteBuffer.wrap(input).putInt(input.length - 4);
      }
      decoded += decodeBothWays(input, seen, "iteration " + i);
    }
    assertThat(seen).containsExactlyInAnyOrder(CodecException.Reason.values());
    assertThat(decoded).isPositive();
  }

  private static final int[] EDGE_BYTES = {0x00, 0x01, 0x20, 0x2F, 0x7F, 0x80, 0xC3, 0xFF};

  private static byte[] mutate(byte[] frame, Random random) {
    if (frame.length == 0) {
      return new byte[] {(byte) random.nextInt(256)};
    }
    int at = random.nextInt(frame.length);
    switch (random.nextInt(5)) {
      case 0 -> {
        byte[] out = frame.clone();
        out[at] = (byte) random.nextInt(256);
        return out;
      }
      case 1 -> {
        byte[] out = frame.clone();
        out[at] = (byte) EDGE_BYTES[random.nextInt(EDGE_BYTES.length)];
        return out;
      }
      case 2 -> {
        byte[] out = new byte[frame.length + 1];
        System.arraycopy(frame, 0, out, 0, at);
        out[at] = (byte) random.nextInt(256);
        System.arraycopy(frame, at, out, at + 1, frame.length - at);
        return out;
      }
      case 3 -> {
        byte[] out = new byte[frame.length - 1];
        System.arraycopy(frame, 0, out, 0, at);
        System.arraycopy(frame, at + 1, out, at, frame.length - at - 1);
        return out;
      }
      default -> {
        return Arrays.copyOf(frame, at);
      }
    }
  }

  @Test
  void typeCodesOfRequestsAndEventsDoNotOverlap() {
    List<Integer> requestTypes =
        requests().map(r -> ClientCodec.encodeRequest(r)[7] & 0xFF).distinct().toList();
    List<Integer> eventTypes = events()
        .map(e -> ClientCodec.encodeEvent(e)[7] & 0xFF)
        .distinct()
        .sorted()
        .toList();
    assertThat(requestTypes).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8);
    assertThat(eventTypes).isEqualTo(IntStream.rangeClosed(65, 75).boxed().toList());
  }
}
