package io.github.ringleader.messaging.examples;

import static io.github.ringleader.messaging.examples.LoopbackCluster.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.client.MessageListener;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.ReceivedMessage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.jline.terminal.Size;
import org.jline.terminal.impl.LineDisciplineTerminal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The example client as a person at a terminal sees it: driven through a JLine terminal on
 * pipes (keys in, screen out, read back through {@link VirtualScreen}), or through plain pipes
 * as a script drives it, against servers in this JVM on loopback.
 */
class ClientTerminalTest {
  private static final String ESC = "\u001b";

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeEverything() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private LoopbackCluster cluster(int size) throws Exception {
    LoopbackCluster cluster = new LoopbackCluster(size);
    toClose.add(cluster);
    return cluster;
  }

  /** What a client written with the SDK heard. */
  private static final class Inbox implements MessageListener {
    final List<ReceivedMessage> messages = new CopyOnWriteArrayList<>();

    @Override
    public void onMessage(ReceivedMessage message) {
      messages.add(message);
    }

    boolean got(String from, @org.jspecify.annotations.Nullable String to, String text) {
      return messages.stream()
          .anyMatch(m -> m.from().equals(from)
              && java.util.Objects.equals(m.to(), to)
              && m.text().equals(text));
    }
  }

  private MessagingClient sdkClient(String name, int port, Inbox inbox) throws IOException {
    MessagingClient client = MessagingClient.builder()
        .address("127.0.0.1", port)
        .name(name)
        .messageListener(inbox)
        .balance(false)
        .connect();
    toClose.add(client);
    return client;
  }

  /** The example client on a terminal of {@code type}: keys typed in, the screen read back. */
  private final class Typist implements AutoCloseable {
    final ByteArrayOutputStream shown = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    final LineDisciplineTerminal terminal;
    final CompletableFuture<Integer> status = new CompletableFuture<>();

    Typist(String type, Map<String, String> env, String... args) throws Exception {
      // A terminal of this type, as a pseudo-terminal's far end: keys go in through its line
      // discipline (Ctrl+C raises SIGINT), what the client draws collects in "shown".
      terminal = new LineDisciplineTerminal("test", type, shown, StandardCharsets.UTF_8);
      terminal.setSize(new Size(400, 50));
      Thread client = new Thread(
          () -> status.complete(ClientCommand.run(
              List.of(args), terminal, env, new PrintStream(err, true, StandardCharsets.UTF_8))),
          "typed client");
      client.setDaemon(true);
      client.start();
      toClose.add(this);
      String prompt = args[0] + ">";
      await(() -> screen().lastLine().equals(prompt), () -> "the prompt\n" + this);
    }

    void type(String keystrokes) throws IOException {
      terminal.processInputBytes(keystrokes.getBytes(StandardCharsets.UTF_8));
    }

    String raw() {
      return shown.toString(StandardCharsets.UTF_8);
    }

    VirtualScreen screen() {
      return VirtualScreen.of(raw());
    }

    boolean shows(String line) {
      return screen().lines().contains(line);
    }

    @Override
    public String toString() {
      return "screen:\n" + String.join("\n", screen().lines()) + "\nerr: "
          + err.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
      if (!status.isDone()) {
        // Ctrl+U first (not on a dumb terminal, which has no line editing): a half-typed line goes.
        type(terminal.getType().equals("dumb") ? "quit\r" : "\u0015quit\r");
        status.get(10, TimeUnit.SECONDS);
      }
      terminal.close();
    }
  }

  private static final Map<String, String> NO_ENV = Map.of();

  @Test
  void aMessageArrivingWhileALineIsHalfTypedAppearsAboveItAndTheLineStaysIntact() throws Exception {
    LoopbackCluster cluster = cluster(1);
    Inbox bobHeard = new Inbox();
    MessagingClient bob = sdkClient("bob", cluster.port(1), bobHeard);
    Typist alice =
        new Typist("xterm-256color", NO_ENV, "alice", "127.0.0.1", String.valueOf(cluster.port(1)));

    alice.type("send bob hel");
    await(
        () -> alice.screen().lastLine().equals("alice> send bob hel"),
        () -> "the half-typed line\n" + alice);
    bob.send("are you there?");

    await(() -> alice.shows("bob: are you there?"), () -> "bob's message\n" + alice);
    List<String> lines = alice.screen().lines();
    assertThat(lines.get(lines.size() - 2)).isEqualTo("bob: are you there?");
    assertThat(lines.get(lines.size() - 1))
        .as("the line being typed, drawn again")
        .isEqualTo("alice> send bob hel");

    alice.type("lo\r");
    await(
        () -> bobHeard.got("alice", "bob", "hello"),
        () -> "bob to get the finished line\n" + alice);
    await(() -> alice.shows("→ bob (private)"), () -> "where it went\n" + alice);
  }

  @Test
  void privateMessagesAndPresenceAreColouredOnATerminalWithColours() throws Exception {
    LoopbackCluster cluster = cluster(1);
    Typist alice =
        new Typist("xterm-256color", NO_ENV, "alice", "127.0.0.1", String.valueOf(cluster.port(1)));
    MessagingClient bob = sdkClient("bob", cluster.port(1), new Inbox());
    bob.send("alice", "psst");
    bob.send("hello all");

    await(
        () -> alice.shows("[private] bob: psst") && alice.shows("bob: hello all"),
        () -> "bob's messages\n" + alice);
    assertThat(alice.raw())
        .containsPattern(ESC + "\\[[0-9;]*m\\[private\\] bob: psst")
        .containsPattern(ESC + "\\[[0-9;]*m\\* bob joined");
    assertThat(alice.raw())
        .as("a message to everyone is not coloured")
        .doesNotContainPattern(ESC + "\\[[0-9;]*m" + "bob: hello all");
  }

  @Test
  void noColourWithNoColorSetOrOnADumbTerminal() throws Exception {
    LoopbackCluster cluster = cluster(1);
    Typist alice = new Typist(
        "xterm-256color",
        Map.of("NO_COLOR", "1"),
        "alice",
        "127.0.0.1",
        String.valueOf(cluster.port(1)));
    Typist carol =
        new Typist("dumb", NO_ENV, "carol", "127.0.0.1", String.valueOf(cluster.port(1)));
    MessagingClient bob = sdkClient("bob", cluster.port(1), new Inbox());
    bob.send("alice", "psst");
    bob.send("carol", "psst");

    await(
        () -> alice.shows("[private] bob: psst") && carol.shows("[private] bob: psst"),
        () -> "bob's messages\n" + alice + "\n" + carol);
    assertThat(alice.raw())
        .as(alice.raw().replace(ESC, "<ESC>"))
        .doesNotContainPattern(ESC + "\\[[0-9;]*[1-9][0-9;]*m");
    assertThat(carol.raw()).doesNotContain(ESC);
  }

  @Test
  void tabCompletesAUserNameAfterSendAndMsg() throws Exception {
    LoopbackCluster cluster = cluster(1);
    Inbox bobHeard = new Inbox();
    sdkClient("bob", cluster.port(1), bobHeard);
    Typist alice =
        new Typist("xterm-256color", NO_ENV, "alice", "127.0.0.1", String.valueOf(cluster.port(1)));

    alice.type("send b\t");
    await(
        () -> alice.screen().lastLine().equals("alice> send bob"), () -> "bob completed\n" + alice);
    alice.type("hi\r");
    await(() -> bobHeard.got("alice", "bob", "hi"), () -> "bob to get it privately\n" + alice);

    alice.type("msg b\tthere\r");
    await(() -> bobHeard.got("alice", "bob", "there"), () -> "msg completed too\n" + alice);
  }

  @Test
  void afterAReconnectTheLineBeingTypedIsDrawnAgainUnderTheNews() throws Exception {
    LoopbackCluster cluster = cluster(2);
    Typist alice = new Typist(
        "xterm-256color",
        NO_ENV,
        "alice",
        "127.0.0.1",
        String.valueOf(cluster.port(1)),
        "--no-balance");
    alice.type("send everyone hal");
    await(
        () -> alice.screen().lastLine().equals("alice> send everyone hal"),
        () -> "the half-typed line\n" + alice);

    cluster.servers.get(0).close(); // server1 stops: it says goodbye, alice moves to server2

    await(
        () -> alice.screen().lines().stream().anyMatch(l -> l.startsWith("reconnected to server2")),
        () -> "alice reconnected\n" + alice);
    List<String> lines = alice.screen().lines();
    assertThat(lines.get(lines.size() - 2))
        .startsWith("reconnected to server2 (127.0.0.1:" + cluster.port(2) + ")");
    assertThat(lines.get(lines.size() - 1)).isEqualTo("alice> send everyone hal");
  }

  @Test
  void everySendSaysWhereItWentAndASendToSomeoneWhoLeftIsHeldBack() throws Exception {
    LoopbackCluster cluster = cluster(1);
    Inbox bobHeard = new Inbox();
    MessagingClient bob = sdkClient("bob", cluster.port(1), bobHeard);
    Typist alice =
        new Typist("xterm-256color", NO_ENV, "alice", "127.0.0.1", String.valueOf(cluster.port(1)));

    alice.type("send dave the code is 1234\r");
    await(
        () -> bobHeard.got("alice", null, "dave the code is 1234"),
        () -> "the broadcast\n" + alice);
    await(() -> alice.shows("→ everyone"), () -> "where it went\n" + alice);

    alice.type("all bob is late today\r");
    await(
        () -> bobHeard.got("alice", null, "bob is late today"), () -> "all: to everyone\n" + alice);
    alice.type("msg bob just you\r");
    await(() -> bobHeard.got("alice", "bob", "just you"), () -> "msg: private\n" + alice);
    await(() -> alice.shows("→ bob (private)"), () -> "where it went\n" + alice);

    bob.close();
    await(() -> alice.shows("* bob left"), () -> "bob's leaving\n" + alice);
    Inbox carolHeard = new Inbox();
    sdkClient("carol", cluster.port(1), carolHeard);
    await(() -> alice.shows("* carol joined"), () -> "carol\n" + alice);
    alice.type("send bob the secret is 42\r");
    await(
        () -> alice.screen().lines().stream().anyMatch(l -> l.startsWith("not sent: bob has left")),
        () -> "the send held back\n" + alice);
    alice.type(
        "send " + "x".repeat(5000) + "\r"); // a terminal's line discipline would cut it at 4,095
    await(
        () -> alice.raw().contains("not sent: the message is 5,000 bytes, the limit is 4,096"),
        () -> "the too-long line refused in one line\n" + alice);
    alice.type("all marker\r");
    await(
        () -> carolHeard.got("alice", null, "marker"),
        () -> "carol hears the next broadcast\n" + alice);
    assertThat(carolHeard.messages)
        .extracting(ReceivedMessage::text)
        .doesNotContain("bob the secret is 42");
  }

  @Test
  void ctrlCLeavesCleanlySoTheNameIsFreeAtOnce() throws Exception {
    LoopbackCluster cluster = cluster(1);
    Typist alice =
        new Typist("xterm-256color", NO_ENV, "alice", "127.0.0.1", String.valueOf(cluster.port(1)));
    alice.type("send half");
    alice.type("\u0003");

    assertThat(alice.status.get(10, TimeUnit.SECONDS)).isZero();
    assertThat(alice.err.toString(StandardCharsets.UTF_8)).isEmpty();
    assertThat(alice.raw()).doesNotContain("Exception");
    // No grace period: the name is free now (a client that vanished holds it for 30 s).
    sdkClient("alice", cluster.port(1), new Inbox());
  }

  /** The client on plain pipes, as a script drives it; the output as it wrote it. */
  private static String piped(int port, String script, int[] status) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    status[0] = ClientCommand.run(
        List.of("alice", "127.0.0.1", String.valueOf(port)),
        new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void pipedTheClientWritesPlainLinesAndATooLongLineIsOneClearLine() throws Exception {
    LoopbackCluster cluster = cluster(1);
    Inbox bobHeard = new Inbox();
    MessagingClient bob = sdkClient("bob", cluster.port(1), bobHeard);
    bob.send("bob", "warming up"); // bob is connected before alice's script runs

    int[] status = new int[1];
    String shown = piped(
        cluster.port(1),
        "send " + "x".repeat(100 * 1024) + "\nsend bob Hi Bob\nsend Hello everyone!\nquit\n",
        status);

    assertThat(status[0]).as(shown).isZero();
    assertThat(shown)
        .doesNotContain(ESC)
        .doesNotContain("Exception")
        .contains(
            "not sent: the message is 102,400 bytes, the limit is 4,096; split it into shorter messages\n")
        .contains("→ bob (private)\n")
        .contains("→ everyone\n");
    await(
        () -> bobHeard.got("alice", "bob", "Hi Bob")
            && bobHeard.got("alice", null, "Hello everyone!"),
        () -> "bob to get both");
  }

  @Test
  void endOfPipedInputLeavesCleanlySoTheNameIsFreeAtOnce() throws Exception {
    LoopbackCluster cluster = cluster(1);
    int[] status = new int[1];
    String shown = piped(cluster.port(1), "send bye\n", status);

    assertThat(status[0]).as(shown).isZero();
    sdkClient("alice", cluster.port(1), new Inbox());
  }

  /**
   * A client in its own process, on pipes, stopped by SIGTERM (what Ctrl+C's SIGINT also does to a
   * piped client): its shutdown hook says goodbye, so the name is free at once.
   */
  @Test
  void aPipedClientStoppedBySigtermSaysGoodbyeSoTheNameIsFreeAtOnce() throws Exception {
    LoopbackCluster cluster = cluster(1);
    String javaCommand =
        java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process = new ProcessBuilder(
            javaCommand,
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "client",
            "alice",
            "127.0.0.1",
            String.valueOf(cluster.port(1)))
        .redirectErrorStream(true)
        .start();
    toClose.add(process::destroyForcibly);
    StringBuffer output = new StringBuffer();
    Thread reader = new Thread(() -> {
      try (java.io.Reader in =
          new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)) {
        char[] buffer = new char[4096];
        for (int n; (n = in.read(buffer)) >= 0; ) {
          output.append(buffer, 0, n);
        }
      } catch (IOException e) {
        output.append("[reading failed: ").append(e).append(']');
      }
    });
    reader.setDaemon(true);
    reader.start();
    await(() -> output.indexOf("users: alice") >= 0, () -> "the client to join\n" + output);

    // SIGTERM; stdin stays open, so only the signal can end it. (Process.destroy() would also
    // close the pipes, and the client's last words would be lost.)
    process.toHandle().destroy();
    assertThat(process.waitFor(10, TimeUnit.SECONDS)).as(output.toString()).isTrue();
    reader.join(5000);
    assertThat(output.toString()).contains("disconnected: bye").doesNotContain("Exception");
    sdkClient("alice", cluster.port(1), new Inbox());
  }
}
