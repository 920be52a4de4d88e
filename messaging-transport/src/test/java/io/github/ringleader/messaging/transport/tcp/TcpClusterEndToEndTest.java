package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;
import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.readUntilClosed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.client.JoinRefusedException;
import io.github.ringleader.messaging.client.MessagingClient;
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
    long seq = clients.get(0).send("Hello everyone!");
    for (TcpTestSupport.Recorder r : List.of(alice, bob, charlie)) {
      await(() -> "everyone gets the broadcast", () -> r.hasText("Hello everyone!"));
    }
    await(() -> "alice's send is accepted", () -> alice.accepted.contains(seq));
    assertThat(bob.messages)
        .extracting(ServerEvent.Message::from, ServerEvent.Message::to, ServerEvent.Message::text)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("alice", null, "Hello everyone!"));
  }

  @Test
  void aPrivateMessageReachesOnlyItsRecipient() throws Exception {
    long seq = clients.get(0).send("bob", "Hi Bob");
    await(() -> "bob gets it", () -> bob.hasText("Hi Bob"));
    await(() -> "alice's send is accepted", () -> alice.accepted.contains(seq));
    // charlie hears a later broadcast, so anything private to him would have arrived before it.
    clients.get(0).send("after");
    await(() -> "charlie gets the broadcast", () -> charlie.hasText("after"));
    assertThat(charlie.messages).extracting(ServerEvent.Message::text).containsExactly("after");
    assertThat(alice.messages).extracting(ServerEvent.Message::text).doesNotContain("Hi Bob");
    assertThat(bob.messages.get(0))
        .extracting(ServerEvent.Message::from, ServerEvent.Message::to, ServerEvent.Message::text)
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
    long seq = clients.get(0).send("dave", "anyone there?");
    await(() -> "the send is answered", () -> !alice.rejected.isEmpty());
    ServerEvent.Rejected rejected = alice.rejected.get(0);
    assertThat(rejected.seq()).isEqualTo(seq);
    assertThat(rejected.code()).isEqualTo(ServerEvent.Reason.UNKNOWN_RECIPIENT);
    assertThat(rejected.reason()).contains("dave");
  }

  @Test
  void listUsersNamesEveryoneInTheCluster() throws Exception {
    clients.get(0).listUsers();
    await(() -> "the list arrives", () -> !alice.users.isEmpty());
    assertThat(alice.users.get(0).names()).containsExactly("alice", "bob", "charlie");
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
      long seq = clients.get(0).send("bob", "still here " + attack.length);
      await(() -> "bob still hears alice", () -> bob.hasText("still here " + attack.length));
      await(() -> "accepted", () -> alice.accepted.contains(seq));
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
        long seq = clients.get(0).send(text + sent);
        sent++;
        // Keep alice's own traffic (her broadcast back and its answer: two frames a send) well
        // under the 64-frame bound, so only slowpoke, who never reads, trips it.
        if (sent % 10 == 0) {
          await(
              () -> "alice's sends are answered; rejected so far: " + alice.rejected,
              () -> alice.accepted.contains(seq));
        }
      }
      int last = sent - 1;
      await(() -> "bob on the same server got everything", () -> bob.hasText(text + last));
      await(
          () -> "the others see slowpoke leave once its 1 s grace period ends",
          () -> alice.presences.stream().anyMatch(p -> p.name().equals("slowpoke") && !p.joined()));
      long seq = clients.get(1).send("alice", "no stall");
      await(() -> "alice hears bob", () -> alice.hasText("no stall"));
      await(() -> "accepted", () -> bob.accepted.contains(seq));
    }
  }
}
