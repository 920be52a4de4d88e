package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;
import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.readUntilClosed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.client.JoinRefusedException;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.ReceivedMessage;
import io.github.ringleader.messaging.client.SendFailedException;
import io.github.ringleader.messaging.client.SendResult;
import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.server.MessagingServer;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.tcp.TcpServerStats.CloseReason;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three whole servers over real UDP on loopback (heartbeat 100 ms, 3 missed, discovery 200 ms),
 * each serving clients over TCP on a port of its own choosing, with alice on server1, bob on
 * server2 and charlie on server3.
 */
class TcpClusterEndToEndTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private LoopbackCluster cluster;
  private final List<MessagingClient> clients = new ArrayList<>();

  private final TcpTestSupport.Recorder alice = new TcpTestSupport.Recorder();
  private final TcpTestSupport.Recorder bob = new TcpTestSupport.Recorder();
  private final TcpTestSupport.Recorder charlie = new TcpTestSupport.Recorder();

  @BeforeEach
  void startCluster() throws Exception {
    cluster = LoopbackCluster.builder("tcp-e2e")
        .sessionGrace(Duration.ofSeconds(1))
        .serverConfig(tcp -> tcp.maxQueuedFrames(64).socketSendBufferBytes(8192))
        .start();
    join(0, "alice", alice);
    join(1, "bob", bob);
    join(2, "charlie", charlie);
    await(
        () -> "alice sees bob and charlie join: " + alice.presences,
        () -> alice.presences.stream().filter(ServerEvent.Presence::joined).count() >= 2);
  }

  private MessagingClient join(int server, String name, TcpTestSupport.Recorder listener)
      throws IOException {
    MessagingClient client = cluster.join(server, name, listener);
    clients.add(client);
    return client;
  }

  @AfterEach
  void stopEverything() {
    cluster.close();
  }

  @Test
  void aBroadcastReachesAllThreeClientsOnThreeServers() throws Exception {
    CompletableFuture<SendResult> sent = clients.get(0).send("Hello everyone!");
    for (TcpTestSupport.Recorder r : List.of(alice, bob, charlie)) {
      await(() -> "everyone gets the broadcast", () -> r.hasText("Hello everyone!"));
    }
    assertThat(TcpTestSupport.accepted(sent).message().text()).isEqualTo("Hello everyone!");
    assertThat(bob.messages)
        .extracting(ReceivedMessage::from, ReceivedMessage::to, ReceivedMessage::text)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("alice", null, "Hello everyone!"));
  }

  @Test
  void aPrivateMessageReachesOnlyItsRecipient() throws Exception {
    CompletableFuture<SendResult> sent = clients.get(0).send("bob", "Hi Bob");
    await(() -> "bob gets it", () -> bob.hasText("Hi Bob"));
    TcpTestSupport.accepted(sent);
    // charlie hears a later broadcast, so anything private to him would have arrived before it.
    clients.get(0).send("after");
    await(() -> "charlie gets the broadcast", () -> charlie.hasText("after"));
    assertThat(charlie.messages).extracting(ReceivedMessage::text).containsExactly("after");
    assertThat(alice.messages).extracting(ReceivedMessage::text).doesNotContain("Hi Bob");
    assertThat(bob.messages.get(0))
        .extracting(ReceivedMessage::from, ReceivedMessage::to, ReceivedMessage::text)
        .containsExactly("alice", "bob", "Hi Bob");
  }

  @Test
  void aSecondAliceIsRefusedWithNameTakenWhereverSheConnects() {
    assertThatThrownBy(() -> MessagingClient.connect(
            "127.0.0.1", cluster.port(2), "Alice", new TcpTestSupport.Recorder(), TIMEOUT))
        .isInstanceOfSatisfying(JoinRefusedException.class, e -> {
          assertThat(e.code()).isEqualTo(ServerEvent.Reason.NAME_TAKEN);
          assertThat(e.redirect()).isNull();
          assertThat(e).hasMessageContaining("NAME_TAKEN").hasMessageContaining("taken");
        });
  }

  @Test
  void aMessageToAnUnknownRecipientIsRejected() throws Exception {
    SendFailedException rejected =
        TcpTestSupport.failure(clients.get(0).send("dave", "anyone there?"));
    assertThat(rejected.kind()).isEqualTo(SendFailedException.Kind.REJECTED);
    assertThat(rejected.sent()).isNotNull();
    assertThat(java.util.Objects.requireNonNull(rejected.sent()).to()).isEqualTo("dave");
    assertThat(rejected.code()).isEqualTo(ServerEvent.Reason.UNKNOWN_RECIPIENT);
    assertThat(rejected).hasMessageContaining("dave");
  }

  @Test
  void badArgumentsNameTheFieldAndASendAfterCloseFailsAsNotSent() throws Exception {
    assertThatThrownBy(() -> MessagingClient.builder().name("bad name"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name must be 1-32 of [A-Za-z0-9._-], was 'bad name'");
    assertThatThrownBy(() -> MessagingClient.builder().name(".dot"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name must start with an ASCII letter or digit, was '.dot'");
    MessagingClient aliceClient = clients.get(0);
    assertThatThrownBy(() -> aliceClient.send("bad name", "hi"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("to must be 1-32 of [A-Za-z0-9._-], was 'bad name'");
    assertThatThrownBy(() -> aliceClient.publish("x".repeat(5000)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("text must be at most 4096 bytes of UTF-8, was 5000");
    assertThatThrownBy(() -> aliceClient.send("\ud800"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("text must be valid UTF-16, was unpaired surrogate U+D800");

    aliceClient.close();
    SendFailedException closed = TcpTestSupport.failure(aliceClient.send("after close"));
    assertThat(closed.kind()).isEqualTo(SendFailedException.Kind.NOT_SENT);
    assertThat(closed).hasMessage("not sent: the client is closed");
    assertThatThrownBy(() -> aliceClient.publish("after close"))
        .isInstanceOfSatisfying(
            SendFailedException.class,
            e -> assertThat(e.kind()).isEqualTo(SendFailedException.Kind.NOT_SENT));
  }

  @Test
  void listUsersNamesEveryoneInTheCluster() throws Exception {
    clients.get(0).listUsers();
    await(() -> "the list arrives", () -> !alice.users.isEmpty());
    assertThat(alice.users.get(0)).containsExactly("alice", "bob", "charlie");
  }

  @Test
  void garbageTruncatedAndOversizedFramesAreRefusedWhileAliceAndBobKeepTalking() throws Exception {
    int port = cluster.port(0);
    byte[] hello = ClientCodec.encodeRequest(new ClientRequest.Hello("mallory"));
    byte[][] attacks = {
      "GET / HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
      withLength(hello, hello.length - 6), // announces fewer bytes than the hello: cut short
      {0x00, 0x01, 0x00, 0x00}, // 65,536 bytes announced
    };
    for (byte[] attack : attacks) {
      try (Socket raw = new Socket()) {
        raw.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        raw.setSoTimeout(5000);
        raw.getOutputStream().write(attack);
        List<ServerEvent> events = readUntilClosed(raw);
        assertThat(events).hasSize(1);
        assertThat(((ServerEvent.Goodbye) events.get(0)).reason()).startsWith("malformed frame: ");
      }
      CompletableFuture<SendResult> sent =
          clients.get(0).send("bob", "still here " + attack.length);
      await(() -> "bob still hears alice", () -> bob.hasText("still here " + attack.length));
      TcpTestSupport.accepted(sent);
    }
    assertThat(cluster.server(0).clientStats().malformedTotal()).isEqualTo(3);
    assertThat(cluster.server(0).clientStats().closed(CloseReason.MALFORMED)).isEqualTo(3);
    assertThat(clients.get(0).isClosed()).isFalse();
  }

  private static byte[] withLength(byte[] frame, int bytesAfterPrefix) {
    byte[] copy = frame.clone();
    java.nio.ByteBuffer.wrap(copy).putInt(bytesAfterPrefix);
    return copy;
  }

  @Test
  void aClientThatNeverReadsIsDisconnectedWithoutStallingTheOthers() throws Exception {
    MessagingServer server2 = cluster.server(1);
    try (Socket slow = new Socket()) {
      slow.setReceiveBufferSize(4096);
      slow.connect(new InetSocketAddress("127.0.0.1", server2.clientPort()), 2000);
      slow.getOutputStream().write(ClientCodec.encodeRequest(new ClientRequest.Hello("slowpoke")));
      await(
          () -> "alice sees slowpoke join",
          () -> alice.presences.stream().anyMatch(p -> p.name().equals("slowpoke") && p.joined()));

      String text = "x".repeat(4000);
      int sent = 0;
      while (server2.clientStats().closed(CloseReason.SLOW_READER) == 0) {
        assertThat(sent).as("flooding should trip the queue bound").isLessThan(2000);
        CompletableFuture<SendResult> answer = clients.get(0).send(text + sent);
        sent++;
        // Keep alice's own traffic (her broadcast back and its answer: two frames a send) and
        // bob's well under the 64-frame bound, so only slowpoke, who never reads, trips it: on a
        // busy machine a reading client's thread may get no CPU for a while, and the flood must
        // not outrun it (CI once saw bob disconnected as a slow reader).
        if (sent % 10 == 0) {
          TcpTestSupport.accepted(answer);
          String latest = text + (sent - 1);
          await(() -> "bob keeps up with the flood", () -> bob.hasText(latest));
        }
      }
      int last = sent - 1;
      await(() -> "bob on the same server got everything", () -> bob.hasText(text + last));
      await(
          () -> "the others see slowpoke leave once its 1 s grace period ends",
          () -> alice.presences.stream().anyMatch(p -> p.name().equals("slowpoke") && !p.joined()));
      CompletableFuture<SendResult> noStall = clients.get(1).send("alice", "no stall");
      await(() -> "alice hears bob", () -> alice.hasText("no stall"));
      TcpTestSupport.accepted(noStall);
    }
  }
}
