package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.auth.FailureThrottle;
import io.github.ringleader.messaging.auth.FileAuthenticator;
import io.github.ringleader.messaging.auth.UserEntry;
import io.github.ringleader.messaging.auth.UsersFile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands' client authentication: {@code adduser} through the jar's entry point with the
 * password on standard input, the server's {@code --users}, and the client's {@code
 * --password-file} and {@code RINGLEADER_PASSWORD} against servers in this JVM that require them.
 */
class AuthCommandsTest {
  @TempDir
  Path dir;

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @AfterEach
  void closeEverything() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private int main(String stdin, String... args) {
    return Main.run(
        List.of(args),
        new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String printed() {
    return out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void adduserCreatesAnOwnerOnlyFileFromStdinAndReplacesAUser() throws Exception {
    Path users = dir.resolve("users.txt");
    assertThat(main("wonderland\n", "adduser", users.toString(), "alice", "--iterations", "1000"))
        .as(printed())
        .isZero();
    assertThat(main(
            "pager\r\n",
            "adduser",
            users.toString(),
            "ops",
            "--may-take",
            "ops-*,monitor",
            "--iterations",
            "1000"))
        .as(printed())
        .isZero();
    assertThat(main("looking-glass", "adduser", users.toString(), "Alice", "--iterations", "1000"))
        .as(printed())
        .isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("added user alice in " + users)
        .contains("replaced user Alice in " + users);
    if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(users)))
          .isEqualTo("rw-------");
    }
    Map<String, UserEntry> read = UsersFile.read(users);
    assertThat(read.keySet()).containsExactly("alice", "ops");
    UserEntry alice = java.util.Objects.requireNonNull(read.get("alice"));
    assertThat(alice.passwordMatches("looking-glass".toCharArray())).isTrue();
    UserEntry ops = java.util.Objects.requireNonNull(read.get("ops"));
    assertThat(ops.passwordMatches("pager".toCharArray()))
        .as("the \\r\\n is not part of it")
        .isTrue();
    assertThat(ops.mayTake("ops-night")).isTrue();
    assertThat(Files.readString(users)).doesNotContain("pager").doesNotContain("looking-glass");
  }

  @Test
  void adduserRefusesABadNameWithTheNameRuleAndAnEmptyPassword() {
    Path users = dir.resolve("users.txt");
    assertThat(main("x\n", "adduser", users.toString(), "no spaces")).isEqualTo(2);
    assertThat(printed()).contains("error: <name>: a name may only contain");
    assertThat(main("\n", "adduser", users.toString(), "alice")).isEqualTo(1);
    assertThat(printed()).contains("error: no password on standard input");
    assertThat(users).doesNotExist();
  }

  @Test
  void theServerRefusesToStartWithABrokenUsersFile() throws Exception {
    Path users = dir.resolve("users.txt");
    Files.writeString(users, "# users\nalice:pbkdf2-sha256:1000\n");
    assertThat(main("", "server", "s1", "5000", "--users", users.toString())).isEqualTo(2);
    assertThat(printed())
        .contains("error: --users: " + users + " line 2: expected name:pbkdf2-sha256");
  }

  /** A one-server cluster that requires its clients to sign in; alice/wonderland is its one user. */
  private LoopbackCluster clusterWithUsers() throws Exception {
    Path users = dir.resolve("users.txt");
    main("wonderland\n", "adduser", users.toString(), "alice", "--iterations", "1000");
    FileAuthenticator authenticator = FileAuthenticator.open(users);
    toClose.add(authenticator);
    LoopbackCluster cluster = new LoopbackCluster(
        1,
        node -> node.authenticator(authenticator)
            .authFailureThrottle(
                new FailureThrottle(1_000_000L, 10_000_000L, 10_000_000L, 60_000_000_000L, 100)));
    toClose.add(cluster);
    return cluster;
  }

  private int client(
      LoopbackCluster cluster, Map<String, String> env, String script, String... options) {
    List<String> args =
        new ArrayList<>(List.of("alice", "127.0.0.1", String.valueOf(cluster.port(1))));
    args.addAll(List.of(options));
    return ClientCommand.run(
        args,
        new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        env,
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void theClientReadsItsPasswordFromAFile() throws Exception {
    LoopbackCluster cluster = clusterWithUsers();
    Path password = dir.resolve("alice.password");
    Files.writeString(password, "wonderland\n");
    assertThat(
            client(cluster, Map.of(), "send hello\nquit\n", "--password-file", password.toString()))
        .as(printed())
        .isZero();
    assertThat(printed()).contains("→ everyone").doesNotContain("wonderland");
  }

  @Test
  void theClientReadsItsPasswordFromTheEnvironment() throws Exception {
    LoopbackCluster cluster = clusterWithUsers();
    assertThat(client(cluster, Map.of("RINGLEADER_PASSWORD", "wonderland"), "send hello\nquit\n"))
        .as(printed())
        .isZero();
    assertThat(printed()).contains("→ everyone");
  }

  @Test
  void aClientWithoutAPasswordOnAPipeIsToldHowToGiveOne() throws Exception {
    LoopbackCluster cluster = clusterWithUsers();
    assertThat(client(cluster, Map.of(), "send hello\nquit\n")).isEqualTo(1);
    assertThat(printed())
        .contains("NOT_AUTHENTICATED")
        .contains(
            "error: the server requires a password: give --password-file <file> or set RINGLEADER_PASSWORD");
  }

  @Test
  void onATerminalTheClientAsksForThePasswordWithoutEchoingIt() throws Exception {
    LoopbackCluster cluster = clusterWithUsers();
    ByteArrayOutputStream shown = new ByteArrayOutputStream();
    org.jline.terminal.impl.LineDisciplineTerminal terminal =
        new org.jline.terminal.impl.LineDisciplineTerminal(
            "test", "xterm-256color", shown, StandardCharsets.UTF_8);
    terminal.setSize(new org.jline.terminal.Size(200, 40));
    toClose.add(terminal);
    java.util.concurrent.CompletableFuture<Integer> status =
        new java.util.concurrent.CompletableFuture<>();
    Thread typed = new Thread(
        () -> status.complete(ClientCommand.run(
            List.of("alice", "127.0.0.1", String.valueOf(cluster.port(1))),
            terminal,
            Map.of(),
            new PrintStream(err, true, StandardCharsets.UTF_8))),
        "typed client");
    typed.setDaemon(true);
    typed.start();
    LoopbackCluster.await(
        () -> shown.toString(StandardCharsets.UTF_8).contains("password for alice: "),
        () -> "the password prompt; shown: " + shown.toString(StandardCharsets.UTF_8) + printed());
    terminal.processInputBytes("wonderland\r".getBytes(StandardCharsets.UTF_8));
    LoopbackCluster.await(
        () ->
            VirtualScreen.of(shown.toString(StandardCharsets.UTF_8)).lastLine().equals("alice>"),
        () -> "the prompt after signing in; shown: " + shown.toString(StandardCharsets.UTF_8)
            + printed());
    terminal.processInputBytes("quit\r".getBytes(StandardCharsets.UTF_8));
    assertThat(status.get(15, java.util.concurrent.TimeUnit.SECONDS))
        .as(printed())
        .isZero();
    assertThat(shown.toString(StandardCharsets.UTF_8)).doesNotContain("wonderland");
  }

  @Test
  void aWrongPasswordIsRefusedWithTheServersReason() throws Exception {
    LoopbackCluster cluster = clusterWithUsers();
    assertThat(client(cluster, Map.of("RINGLEADER_PASSWORD", "guess"), "quit\n"))
        .isEqualTo(1);
    assertThat(printed()).contains("wrong user name or secret").doesNotContain("guess");
  }
}
