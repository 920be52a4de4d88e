package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.ReceivedMessage;
import io.github.ringleader.messaging.client.SendFailedException;
import io.github.ringleader.messaging.client.SentMessage;
import io.github.ringleader.messaging.client.SessionInfo;
import io.github.ringleader.messaging.session.ClientSession;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client's reconnect buffer over real sockets (three servers on loopback): what a client
 * sends while it fails over is kept by bytes, goes out once its session has resumed, and is
 * accepted once each, in order; past the budget, {@code send} says the buffer is full.
 *
 * <p>The messages are sent from {@code onConnectionLost}, which the client calls before it starts
 * reconnecting: so every one of them is kept, whatever the timing.
 */
class ReconnectBufferEndToEndTest {
  private LoopbackCluster cluster;

  @BeforeEach
  void startCluster() throws Exception {
    cluster = LoopbackCluster.builder("reconnect-buffer").advertiseClientPorts().start();
  }

  @AfterEach
  void stopEverything() {
    cluster.close();
  }

  @Test
  void thousandsOfMessagesSentDuringAFailoverAreAcceptedOnceEachInOrderAndNoneRefused()
      throws IOException {
    int count = 3_000; // far past the 256 a client once kept, and past a server's window
    SendingOnLoss alice = new SendingOnLoss(count);
    alice.client.set(cluster.join(failover("alice").listener(alice)));
    TcpTestSupport.Recorder bob = new TcpTestSupport.Recorder();
    cluster.join(MessagingClient.builder()
        .address("127.0.0.1", cluster.port(1))
        .name("bob")
        .listener(bob)
        .balance(false));
    alice.send(alice.client(), null, "before");
    await(() -> "bob had alice's first message", () -> bob.hasText("before"));

    cluster.server(0).close(); // alice's server stops; she fails over to another

    await(
        Duration.ofSeconds(30),
        () -> "bob had all of alice's messages: " + bob.messages.size() + ", refused "
            + alice.refused,
        () -> bob.messages.size() >= count + 1 || !alice.refused.isEmpty());
    assertThat(alice.refused).as("no send refused").isEmpty();
    assertThat(alice.resumed).as("the same session, resumed").hasSize(1);
    List<String> expected = IntStream.range(0, count).mapToObj(i -> "m" + i).toList();
    List<String> received = bob.messages.stream()
        .filter(m -> m.from().equals("alice"))
        .map(ReceivedMessage::text)
        .toList();
    assertThat(received.get(0)).isEqualTo("before");
    assertThat(received.subList(1, received.size())).as("each once, in order").isEqualTo(expected);
    await(() -> "alice had every answer", () -> alice.accepted.size() == count + 1);
    assertThat(alice.accepted)
        .as("accepted in order, once each")
        .isSorted()
        .doesNotHaveDuplicates();
    assertThat(alice.rejected).isEmpty();
  }

  @Test
  void pastItsBudgetASendDuringAFailoverSaysTheBufferIsFullAndHowMuchWaits() throws IOException {
    long perMessage = ClientSession.keptSize(null, "m0");
    SendingOnLoss alice = new SendingOnLoss(10);
    alice.client.set(
        cluster.join(failover("alice").listener(alice).reconnectBufferBytes(3 * perMessage)));

    cluster.server(0).close();

    await(() -> "alice resumed", () -> !alice.resumed.isEmpty());
    assertThat(alice.refused)
        .as("the 4th to the 10th are refused")
        .hasSize(7)
        .allSatisfy(message -> assertThat(message)
            .isEqualTo(("not sent: reconnect buffer full: " + 3 * perMessage
                + " bytes of 3 messages wait for the session"
                + " to resume; this one needs " + perMessage + " and the limit is " + 3 * perMessage
                + " (MessagingClient.Builder.reconnectBufferBytes)")));
    await(() -> "the three kept were accepted", () -> alice.accepted.size() == 3);
  }

  @Test
  void aBudgetOfZeroKeepsNothingAndANegativeOneIsRefused() throws IOException {
    SendingOnLoss alice = new SendingOnLoss(1);
    alice.client.set(cluster.join(failover("alice").listener(alice).reconnectBufferBytes(0)));

    cluster.server(0).close();

    await(() -> "alice resumed", () -> !alice.resumed.isEmpty());
    assertThat(alice.refused)
        .singleElement()
        .asString()
        .startsWith("not sent: reconnect buffer full: 0 bytes of 0 messages");
    assertThatThrownBy(() -> MessagingClient.builder().reconnectBufferBytes(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("reconnectBufferBytes must be >= 0, was -1");
  }

  private MessagingClient.Builder failover(String name) {
    return MessagingClient.builder()
        .address("127.0.0.1", cluster.port(0))
        .name(name)
        .balance(false)
        .pingInterval(Duration.ofMillis(100))
        .pingTimeout(Duration.ofMillis(500))
        .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200));
  }

  /** Sends m0, m1, … as soon as the connection is lost; records refusals and the resume. */
  private static final class SendingOnLoss extends TcpTestSupport.Recorder {
    final AtomicReference<MessagingClient> client = new AtomicReference<>();
    final List<String> refused = new CopyOnWriteArrayList<>();
    final List<SessionInfo> resumed = new CopyOnWriteArrayList<>();
    private final int count;

    SendingOnLoss(int count) {
      this.count = count;
    }

    MessagingClient client() {
      return java.util.Objects.requireNonNull(client.get(), "not joined yet");
    }

    @Override
    public void onConnectionLost(String reason, List<SentMessage> unconfirmed) {
      for (int i = 0; i < count; i++) {
        send(client(), null, "m" + i).whenComplete((ok, failed) -> {
          if (failed instanceof SendFailedException f
              && f.kind() == SendFailedException.Kind.NOT_SENT) {
            refused.add(f.getMessage());
          }
        });
      }
    }

    @Override
    public void onResumed(SessionInfo session, boolean complete) {
      resumed.add(session);
    }
  }
}
