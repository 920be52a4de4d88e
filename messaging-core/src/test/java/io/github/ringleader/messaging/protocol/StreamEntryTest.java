package io.github.ringleader.messaging.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.node.NodeId;
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
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The stream entries refuse what the wire cannot carry, so every entry that exists encodes. */
class StreamEntryTest {

  private static final NodeId SERVER = NodeId.of("server2");
  private static final String GRINNING = "\uD83D\uDE00"; // 4 bytes of UTF-8

  static Stream<Arguments> invalidEntries() {
    return Stream.of(
        rejects(
            () -> new Chat("alice", 1, 1, null, "a".repeat(4097)),
            "text is 4097 bytes of UTF-8, limit is 4096"),
        rejects(
            () -> new Chat("alice", 1, 1, null, "\u20ac".repeat(1366)), // 1366 chars
            "text is 4098 bytes of UTF-8, limit is 4096"),
        rejects(
            () -> new Chat("alice", 1, 1, null, GRINNING.repeat(1025)),
            "text is 4100 bytes of UTF-8, limit is 4096"),
        rejects(
            () -> new Chat("alice", 1, 1, null, "a\uD83Db"),
            "text has an unpaired surrogate at index 1, which UTF-8 cannot encode"),
        rejects(
            () -> new Chat("alice", 1, 1, null, "ab\uD83D"),
            "text has an unpaired surrogate at index 2, which UTF-8 cannot encode"),
        rejects(
            () -> new Chat("alice", 1, 1, null, "\uDE00"),
            "text has an unpaired surrogate at index 0, which UTF-8 cannot encode"),
        rejects(
            () -> new JoinRefused("alice", 1, SERVER, "\u00df".repeat(257)),
            "reason is 514 bytes of UTF-8, limit is 512"),
        rejects(
            () -> new ChatRejected("alice", 1, 1, "r".repeat(513)),
            "reason is 513 bytes of UTF-8, limit is 512"),
        rejects(
            () -> new Left("alice", 1, "\uDBFF"),
            "reason has an unpaired surrogate at index 0, which UTF-8 cannot encode"),
        rejects(() -> new Joined("", 1, SERVER), "name is invalid: a name must not be empty"),
        rejects(() -> new Chat("alice", 1, 1, "", "hi"), "to is invalid: a name must not be empty"),
        rejects(
            () -> new Chat(".alice", 1, 1, null, "hi"),
            "from is invalid: a name must start with an ASCII letter or digit, not '.'"),
        rejects(
            () -> new ChatRejected("al ice", 1, 1, ""),
            "from is invalid: a name may only contain " + IdChars.ALLOWED + "; found"
                + " ' ' at position 3"),
        rejects(
            () -> new Left("a".repeat(33), 1, ""),
            "name is invalid: a name must be at most 32 characters, \"" + "a".repeat(32)
                + "\u2026\" has 33"),
        rejects(
            () -> new Session("\u00e9", 1, SERVER, 0),
            "name is invalid: a name may only contain " + IdChars.ALLOWED
                + "; found '\u00e9' (U+00E9) at position 1"),
        rejects(() -> new Joined("alice", -1, SERVER), "session must be >= 0, was -1"),
        rejects(() -> new JoinRefused("alice", -1, SERVER, ""), "session must be >= 0, was -1"),
        rejects(() -> new Chat("alice", 1, -1, null, ""), "clientSeq must be >= 0, was -1"),
        rejects(() -> new ChatRejected("alice", 1, -2, ""), "clientSeq must be >= 0, was -2"),
        rejects(
            () -> new Left("alice", Long.MIN_VALUE, ""),
            "session must be >= 0, was " + Long.MIN_VALUE),
        rejects(() -> new Carried(-1, 0, new Left("a", 1, "")), "epoch must be >= 0, was -1"),
        rejects(() -> new Carried(0, -1, new Left("a", 1, "")), "seq must be >= 0, was -1"),
        rejects(
            () -> new Carried(1, 1, new Carried(0, 0, new Left("a", 1, ""))),
            "a carried entry cannot carry another"),
        rejects(() -> new Session("alice", 1, SERVER, -1), "lastClientSeq must be >= 0, was -1"),
        rejects(
            () -> new Session("alice", 1, SERVER, -1, true, true),
            "lastClientSeq must be >= 0, was -1"),
        rejects(
            () -> new Session("alice", -1, SERVER, 0, true, false), "session must be >= 0, was -1"),
        rejects(() -> new Chat("alice", 1, 1, null, "", -1), "previous must be >= 0, was -1"),
        rejects(
            () -> new Chat("alice", 1, 5, null, "", 5),
            "previous must be below clientSeq 5, was 5"),
        rejects(
            () -> new Chat("alice", 1, 5, null, "", 9),
            "previous must be below clientSeq 5, was 9"),
        rejects(
            () -> new Chat("alice", 1, 1, "bob", "", Long.MAX_VALUE),
            "previous must be below clientSeq 1, was " + Long.MAX_VALUE),
        rejects(
            () -> new Detached("al ice", 1, ""),
            "name is invalid: a name may only contain " + IdChars.ALLOWED + "; found"
                + " ' ' at position 3"),
        rejects(() -> new Detached("alice", -1, ""), "session must be >= 0, was -1"),
        rejects(
            () -> new Detached("alice", 1, "r".repeat(513)),
            "reason is 513 bytes of UTF-8, limit is 512"),
        rejects(() -> new Resumed("alice", -1, SERVER, 0), "session must be >= 0, was -1"),
        rejects(() -> new Resumed("alice", 1, SERVER, -1), "lastClientSeq must be >= 0, was -1"),
        rejects(
            () -> new Resumed("al ice", 1, SERVER, 0),
            "name is invalid: a name may only contain " + IdChars.ALLOWED + "; found"
                + " ' ' at position 3"),
        rejects(() -> new Directory(0, 0, List.of()), "parts must be in 1..65535, was 0"),
        rejects(() -> new Directory(0, 65_536, List.of()), "parts must be in 1..65535, was 65536"),
        rejects(() -> new Directory(2, 2, List.of()), "part must be in 0..1, was 2"),
        rejects(() -> new Directory(-1, 2, List.of()), "part must be in 0..1, was -1"));
  }

  private static Arguments rejects(Supplier<Object> constructor, String message) {
    return Arguments.of(message, constructor);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidEntries")
  void entryTheWireCannotCarryIsRefusedNamingTheField(String message, Supplier<Object> entry) {
    assertThatThrownBy(entry::get).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
  }

  @Test
  void limitsAreInclusiveAndCountedInBytesOfUtf8() {
    assertThat(new Chat("alice", 0, 0, null, GRINNING.repeat(1024)).text()).hasSize(2048);
    assertThat(new Chat("alice", 0, 0, "bob", "\u20ac".repeat(1365) + "a").to()).isEqualTo("bob");
    assertThat(new Left("a", 0, "r".repeat(512)).reason()).hasSize(512);
    assertThat(new Joined("a".repeat(32), Long.MAX_VALUE, SERVER).name()).hasSize(32);
    assertThat(new Directory(65_534, 65_535, List.of()).parts()).isEqualTo(65_535);
    assertThat(new Carried(0, 0, new Directory(0, 1, List.of())).entry())
        .isInstanceOf(Directory.class);
  }

  @Test
  void chatsPredecessorIsAnyNumberBelowItsOwn() {
    assertThat(new Chat("alice", 1, 9, null, "", 0).previous()).isZero();
    assertThat(new Chat("alice", 1, 9, null, "", 4).previous()).isEqualTo(4);
    assertThat(new Chat("alice", 1, 9, null, "", 8).previous()).isEqualTo(8);
    assertThat(new Chat("alice", 1, Bounds.MAX_CLIENT_SEQ, null, "", Bounds.MAX_CLIENT_SEQ - 1)
            .previous())
        .isEqualTo(Bounds.MAX_CLIENT_SEQ - 1);
    assertThat(new Chat("alice", 1, 0, null, "", 0).previous()).isZero();
  }

  @Test
  void chatWithoutAPredecessorGivenHasTheNumberBelowItsOwn() {
    assertThat(new Chat("alice", 1, 7, "bob", "hi"))
        .isEqualTo(new Chat("alice", 1, 7, "bob", "hi", 6));
    assertThat(new Chat("alice", 1, 1, null, "hi").previous()).isZero();
    assertThat(new Chat("alice", 1, 0, null, "hi").previous()).isZero();
  }

  @Test
  void sessionWithoutFlagsIsAttachedAndCurrent() {
    Session session = new Session("alice", 1, SERVER, 3);

    assertThat(session).isEqualTo(new Session("alice", 1, SERVER, 3, false, false));
    assertThat(session.withServer(NodeId.of("server3"), true))
        .isEqualTo(new Session("alice", 1, NodeId.of("server3"), 3, true, false));
    assertThat(session.withLastClientSeq(9).asPast(true))
        .isEqualTo(new Session("alice", 1, SERVER, 9, false, true));
  }

  @Test
  void directoryKeepsItsOwnCopyOfTheSessions() {
    List<Session> sessions = new ArrayList<>(List.of(new Session("alice", 1, SERVER, 0)));
    Directory directory = new Directory(0, 1, sessions);
    sessions.clear();

    assertThat(directory.sessions()).hasSize(1);
  }
}
