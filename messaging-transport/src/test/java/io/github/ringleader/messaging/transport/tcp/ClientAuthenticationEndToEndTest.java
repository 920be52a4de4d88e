package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.auth.FailureThrottle;
import io.github.ringleader.messaging.auth.FileAuthenticator;
import io.github.ringleader.messaging.auth.UsersFile;
import io.github.ringleader.messaging.client.ConnectionListener;
import io.github.ringleader.messaging.client.JoinRefusedException;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.SessionInfo;
import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.Credential;
import io.github.ringleader.messaging.session.ServerEvent;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client authentication over real sockets: two servers on loopback that require a user of a
 * users file (PBKDF2, few iterations to keep the test quick); the SDK signs in, a wrong or
 * missing password and a name the user may not take are refused with their reasons while the
 * other clients carry on, a resume needs the credential too, and failures are counted.
 */
class ClientAuthenticationEndToEndTest {
  @TempDir
  Path dir;

  private LoopbackCluster cluster;
  private FileAuthenticator authenticator;
  private final TcpTestSupport.Recorder aliceHeard = new TcpTestSupport.Recorder();

  @BeforeEach
  void start() throws Exception {
    Path users = dir.resolve("users.txt");
    SecureRandom random = new SecureRandom();
    UsersFile.addUser(users, "alice", "wonderland".toCharArray(), List.of(), 1_000, random);
    UsersFile.addUser(users, "ops", "pager".toCharArray(), List.of("ops-*"), 1_000, random);
    authenticator = FileAuthenticator.open(users);
    cluster = LoopbackCluster.builder("auth-e2e")
        .servers(2)
        .sessionGrace(Duration.ofSeconds(5))
        .advertiseClientPorts()
        .eachNode((number, node) -> node.authenticator(authenticator)
            .authFailureThrottle(
                new FailureThrottle(1_000_000L, 20_000_000L, 10_000_000L, 60_000_000_000L, 100)))
        .start();
  }

  @AfterEach
  void stop() {
    cluster.close();
    authenticator.close();
  }

  private MessagingClient.Builder client(int server, String name) {
    return MessagingClient.builder()
        .address("127.0.0.1", cluster.port(server))
        .name(name)
        .balance(false);
  }

  private JoinRefusedException refused(MessagingClient.Builder builder) {
    Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> cluster.join(builder));
    assertThat(thrown).isInstanceOf(JoinRefusedException.class);
    return (JoinRefusedException) thrown;
  }

  @Test
  void theRightPasswordJoinsAndAWrongOrMissingOneIsRefusedWhileOthersCarryOn() throws Exception {
    MessagingClient alice = cluster.join(
        client(0, "alice").listener(aliceHeard).credential("alice", "wonderland".toCharArray()));
    MessagingClient ops =
        cluster.join(client(1, "ops").credential("ops", () -> "pager".toCharArray()));

    JoinRefusedException wrong =
        refused(client(0, "ops-2").credential("ops", "pagr".toCharArray()));
    assertThat(wrong.code()).isEqualTo(ServerEvent.Reason.NOT_AUTHENTICATED);
    assertThat(wrong.reason()).isEqualTo("wrong user name or secret");
    JoinRefusedException unknown =
        refused(client(0, "mallory").credential("mallory", "x".toCharArray()));
    assertThat(unknown.reason()).isEqualTo(wrong.reason());
    JoinRefusedException missing = refused(client(0, "ops-3"));
    assertThat(missing.code()).isEqualTo(ServerEvent.Reason.NOT_AUTHENTICATED);
    assertThat(missing.reason()).contains("requires a user name and password");

    var sent = ops.send("alice", "still here?");
    await(() -> "alice hears ops", () -> aliceHeard.hasText("still here?"));
    assertThat(TcpTestSupport.accepted(sent).number()).isPositive();
    assertThat(alice.isClosed()).isFalse();
    assertThat(cluster.node(0).metrics().authenticationFailures())
        .containsEntry("client_wrong_secret", 1L)
        .containsEntry("client_unknown_user", 1L)
        .containsEntry("client_no_credential", 1L);
    assertThat(cluster.node(0).metrics().refusals())
        .containsEntry(ServerEvent.Reason.NOT_AUTHENTICATED, 3L);
  }

  @Test
  void aUserCannotTakeANameItIsNotAllowed() throws Exception {
    JoinRefusedException e = refused(client(0, "alice").credential("ops", "pager".toCharArray()));
    assertThat(e.code()).isEqualTo(ServerEvent.Reason.NOT_AUTHORIZED);
    assertThat(e.reason()).isEqualTo("user ops may not take the name alice");
    assertThat(cluster
            .join(client(0, "ops-night").credential("ops", "pager".toCharArray()))
            .isClosed())
        .isFalse();
    assertThat(cluster.node(0).metrics().authenticationFailures())
        .containsEntry("client_name_not_allowed", 1L);
  }

  @Test
  void repeatedFailuresAreCountedAndTheServerStillAnswersEveryone() throws Exception {
    for (int i = 0; i < 5; i++) {
      assertThat(refused(client(1, "alice").credential("alice", ("guess" + i).toCharArray()))
              .code())
          .isEqualTo(ServerEvent.Reason.NOT_AUTHENTICATED);
    }
    assertThat(cluster.node(1).metrics().authenticationFailures())
        .containsEntry("client_wrong_secret", 5L);
    // The user's own sign-in still gets through (its wait is capped, never a lock-out).
    assertThat(cluster
            .join(client(1, "alice").credential("alice", "wonderland".toCharArray()))
            .isClosed())
        .isFalse();
  }

  @Test
  void aResumeWithoutTheCredentialIsRefusedWhenAuthenticationIsOn() throws Exception {
    ServerEvent.Welcome welcome;
    try (Socket first = connect(0)) {
      write(first, new ClientRequest.Hello("alice", credential()));
      welcome = (ServerEvent.Welcome) answer(first);
    } // the connection is lost: the session is held for its grace period
    await(() -> "alice's session held", () -> cluster.node(1).metrics().heldSessions() == 1);

    try (Socket bare = connect(1)) {
      write(
          bare,
          new ClientRequest.Resume(
              "alice", welcome.session(), welcome.epoch(), welcome.seq(), welcome.token()));
      ServerEvent answer = answer(bare);
      assertThat(answer).isInstanceOf(ServerEvent.Refused.class);
      assertThat(((ServerEvent.Refused) answer).code())
          .isEqualTo(ServerEvent.Reason.NOT_AUTHENTICATED);
    }
    try (Socket signed = connect(1)) {
      write(
          signed,
          new ClientRequest.Resume(
              "alice",
              welcome.session(),
              welcome.epoch(),
              welcome.seq(),
              welcome.token(),
              credential()));
      ServerEvent answer = answer(signed);
      assertThat(answer).isInstanceOf(ServerEvent.Resumed.class);
    }
  }

  @Test
  void theSdkShowsItsCredentialAgainWhenItResumesAfterItsServerStops() throws Exception {
    java.util.concurrent.CopyOnWriteArrayList<SessionInfo> resumed =
        new java.util.concurrent.CopyOnWriteArrayList<>();
    MessagingClient alice = cluster.join(client(0, "alice")
        .credential("alice", "wonderland".toCharArray())
        .connectionListener(new ConnectionListener() {
          @Override
          public void onResumed(SessionInfo session, boolean complete) {
            resumed.add(session);
          }
        }));
    cluster.server(0).close(); // a clean stop: alice is told goodbye and resumes on server2
    await(() -> "alice resumes on server2", () -> !resumed.isEmpty());
    assertThat(resumed.get(0).server()).isEqualTo("server2");
    assertThat(alice.isClosed()).isFalse();
  }

  @Test
  void aClientWhoseUserWasRemovedGivesUpInsteadOfRetryingWhenItMustSignInAgain() throws Exception {
    TcpTestSupport.Recorder heard = new TcpTestSupport.Recorder();
    MessagingClient ops =
        cluster.join(client(0, "ops").listener(heard).credential("ops", "pager".toCharArray()));
    Path users = dir.resolve("users.txt");
    java.nio.file.Files.write(
        users,
        java.nio.file.Files.readAllLines(users).stream()
            .filter(line -> !line.startsWith("ops:"))
            .toList());
    java.nio.file.Files.setLastModifiedTime(
        users, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 10_000));
    // The file is looked at again at most once a second, when someone signs in.
    await(() -> "the authenticator to forget ops", () -> {
      try {
        cluster
            .join(client(1, "alice").credential("alice", "wonderland".toCharArray()))
            .close();
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
      return !authenticator.users().containsKey("ops");
    });
    cluster.server(0).close(); // ops must resume on server2, which no longer knows the user
    await(() -> "ops to give up", ops::isClosed);
    assertThat(heard.closed)
        .singleElement()
        .asString()
        .contains("no longer accepts this client's credential");
    assertThat(cluster.node(1).metrics().authenticationFailures().get("client_unknown_user"))
        .isPositive();
  }

  private static Credential credential() {
    return new Credential("alice", "wonderland".toCharArray());
  }

  private Socket connect(int server) throws Exception {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", cluster.port(server)), 5_000);
    socket.setSoTimeout(10_000);
    return socket;
  }

  /** The answer to a join or resume, past the server lists and news sent around it. */
  private static ServerEvent answer(Socket socket) throws Exception {
    while (true) {
      ServerEvent event = TcpTestSupport.readOne(socket);
      if (event instanceof ServerEvent.Welcome
          || event instanceof ServerEvent.Resumed
          || event instanceof ServerEvent.Refused) {
        return event;
      }
    }
  }

  private static void write(Socket socket, ClientRequest request) throws Exception {
    OutputStream out = socket.getOutputStream();
    out.write(ClientCodec.encodeRequest(request));
    out.flush();
  }
}
