package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.examples.ChatInput.Problem;
import io.github.ringleader.messaging.examples.ChatInput.Send;
import io.github.ringleader.messaging.session.ServerEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The chat syntax, without a socket: what each typed line asks for, and what is shown. */
class ChatInputTest {
  private static final Set<String> CONNECTED = Set.of("alice", "bob");
  private static final Set<String> LEFT = Set.of("dave");

  private static ChatInput.Command parse(String line) {
    return ChatInput.parse(
        line, n -> CONNECTED.contains(n.toLowerCase()), n -> LEFT.contains(n.toLowerCase()));
  }

  @Test
  void theUsageGuidesCommandsMeanWhatTheyMeant() {
    assertThat(parse("send Hello everyone!")).isEqualTo(new Send(null, "Hello everyone!"));
    assertThat(parse("send bob Hi Bob, how are you?"))
        .isEqualTo(new Send("bob", "Hi Bob, how are you?"));
    assertThat(parse("send BOB hi")).as("names ignore case").isEqualTo(new Send("BOB", "hi"));
    assertThat(parse("quit")).isInstanceOf(ChatInput.Quit.class);
    assertThat(parse("  ")).isInstanceOf(ChatInput.Blank.class);
  }

  @Test
  void msgIsAlwaysPrivateAndAllAlwaysToEveryone() {
    assertThat(parse("msg carol not here yet")).isEqualTo(new Send("carol", "not here yet"));
    assertThat(parse("all bob is late today, FYI everyone"))
        .isEqualTo(new Send(null, "bob is late today, FYI everyone"));
    assertThat(parse("msg bob")).isEqualTo(new Problem("usage: msg <user> <text>"));
    assertThat(parse("all")).isEqualTo(new Problem("usage: all <text>"));
    assertThat(parse("msg b@d hi"))
        .isInstanceOf(Problem.class)
        .extracting(c -> ((Problem) c).message())
        .asString()
        .startsWith("not sent: no user can be called \"b@d\"");
  }

  @Test
  void aSendWhoseFirstWordIsSomeoneWhoLeftIsNotBroadcast() {
    assertThat(parse("send dave the secret code is 1234"))
        .isEqualTo(new Problem(
            "not sent: dave has left, so this would go to everyone; \"all <text>\" sends"
                + " to everyone, \"msg dave <text>\" to dave alone once back"));
    assertThat(parse("send dave"))
        .as("one word is the text itself")
        .isEqualTo(new Send(null, "dave"));
  }

  @Test
  void aTooLongLineIsOneClearProblem() {
    assertThat(parse("send " + "é".repeat(2049)))
        .isEqualTo(
            new Problem(
                "not sent: the message is 4,098 bytes, the limit is 4,096; split it into shorter messages"));
    assertThat(parse("send " + "x".repeat(4096))).isEqualTo(new Send(null, "x".repeat(4096)));
  }

  @Test
  void anUnknownCommandIsNamedSafely() {
    assertThat(parse("sned hi"))
        .isEqualTo(new Problem("unknown command \"sned\"; type \"help\" for the commands"));
    assertThat(parse("\u001b[2J hi"))
        .isEqualTo(new Problem("unknown command \"\\e[2J\"; type \"help\" for the commands"));
  }

  @Test
  void theDestinationLineSaysWhereASendWent() {
    assertThat(ChatInput.destination("→", new Send(null, "x"))).isEqualTo("→ everyone");
    assertThat(ChatInput.destination("->", new Send("bob", "x"))).isEqualTo("-> bob (private)");
  }

  /** A console that keeps what it was shown. */
  private static final class Shown implements ClientConsole {
    final List<String> lines = new ArrayList<>();

    @Override
    public String readLine() {
      return "";
    }

    @Override
    public void show(Kind kind, String text) {
      lines.add(kind + " " + text);
    }

    @Override
    public String arrow() {
      return "→";
    }

    @Override
    public void close() {}
  }

  @Test
  void beingMovedByRebalancingReadsAsAMoveNotAFailure() {
    Shown console = new Shown();
    ClientPrinter printer = new ClientPrinter("alice", "127.0.0.1", 5001, console);
    printer.onConnectionLost(
        "the server said goodbye: server server1 is busier than server2; please move", List.of());
    printer.onResumed(new ServerEvent.Resumed(
        "alice", 1, io.github.ringleader.messaging.node.NodeId.of("server2"), 0, 0, 0, true));
    printer.onConnectionLost("the connection broke: Connection reset", List.of());

    assertThat(console.lines)
        .containsExactly(
            "STATUS moving to a less busy server",
            "STATUS moved to server2 (127.0.0.1:5001)",
            "STATUS connection lost: the connection broke: Connection reset; reconnecting");
  }

  @Test
  void whoLeftIsRememberedUntilTheyComeBack() {
    ClientPrinter printer = new ClientPrinter("alice", "h", 1, new Shown());
    printer.onPresence(new ServerEvent.Presence("Dave", true, "joined"));
    assertThat(printer.isConnected("dave")).isTrue();
    printer.onPresence(new ServerEvent.Presence("Dave", false, "left"));
    assertThat(printer.isConnected("dave")).isFalse();
    assertThat(printer.hasLeft("DAVE")).isTrue();
    printer.onPresence(new ServerEvent.Presence("dave", true, "joined"));
    assertThat(printer.hasLeft("Dave")).isFalse();
  }
}
