package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.auth.AuthAttempt;
import io.github.ringleader.messaging.auth.AuthDecision;
import io.github.ringleader.messaging.auth.Authenticator;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.ReceivedMessage;
import io.github.ringleader.messaging.client.SendFailedException;
import io.github.ringleader.messaging.client.SentMessage;
import io.github.ringleader.messaging.client.SessionInfo;
import io.github.ringleader.messaging.session.ClientSession;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
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
 * <p>The messages are sent from {@code onConnectionLost}. That alone does not make them "sent
 * while reconnecting": the listener runs on the client's event thread, while the failover starts
 * at once on the client's reader and timer threads, so on a busy machine the session could resume
 * on another server before the listener ran, and the sends would go straight out. So every server
 * signs clients in through a {@link SignInGate} (which lets everyone in, by name alone): a test
 * holds it before alice's server goes, so no server can welcome or resume her, and releases it
 * only once her listener has made all its sends. The order "sends while reconnecting, then the
 * resume" is then certain, whatever the threads' timing.
 */
class ReconnectBufferEndToEndTest {
  private final SignInGate signIns = new SignInGate();
  private LoopbackCluster cluster;

  @BeforeEach
  void startCluster() throws Exception {
    cluster = LoopbackCluster.builder("reconnect-buffer")
        .advertiseClientPorts()
        .eachNode((number, node) -> node.authenticator(signIns))
        .start();
  }

  @AfterEach
  void stopEverything() {
    signIns.release(); // nothing left waiting on a test that failed halfway
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

    signIns.hold();
    cluster.server(0).close(); // alice's server stops; she fails over to another
    resumeOnceSent(alice);

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

    signIns.hold();
    cluster.server(0).close();
    resumeOnceSent(alice);

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

    signIns.hold();
    cluster.server(0).close();
    resumeOnceSent(alice);

    await(() -> "alice resumed", () -> !alice.resumed.isEmpty());
    assertThat(alice.refused)
        .singleElement()
        .asString()
        .startsWith("not sent: reconnect buffer full: 0 bytes of 0 messages");
    assertThatThrownBy(() -> MessagingClient.builder().reconnectBufferBytes(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("reconnectBufferBytes must be >= 0, was -1");
  }

  /**
   * Waits until {@code sender}'s listener has made all its sends (while no server can take her
   * back: the gate is held), then lets the failover through. Checks that it was held up: her
   * failover reached a server and its sign-in (the resume) waited at the gate.
   */
  private void resumeOnceSent(SendingOnLoss sender) {
    await(() -> "the listener made its sends", () -> sender.sent.getCount() == 0);
    assertThat(sender.resumed).as("not resumed before the gate opens").isEmpty();
    await(() -> "the failover reached the gate", () -> signIns.held() > 0);
    signIns.release();
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
    /** Counted down once {@code onConnectionLost} has made every send. */
    final CountDownLatch sent = new CountDownLatch(1);

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
      sent.countDown();
    }

    @Override
    public void onResumed(SessionInfo session, boolean complete) {
      resumed.add(session);
    }
  }

  /**
   * Lets every client in by name alone (no credential needed), but while held keeps each join and
   * resume waiting, unanswered, until released: so no server can welcome or resume a client in
   * the meantime. It blocks no thread: the server's sign-in check just completes later.
   */
  private static final class SignInGate implements Authenticator {
    private volatile CompletableFuture<Void> open = CompletableFuture.completedFuture(null);
    private final AtomicInteger held = new AtomicInteger();

    /** From now on, sign-ins wait until {@link #release}. */
    void hold() {
      open = new CompletableFuture<>();
    }

    /** Lets the waiting sign-ins, and any later ones, through. */
    void release() {
      open.complete(null);
    }

    /** How many sign-ins arrived while held (let through since, or still waiting). */
    int held() {
      return held.get();
    }

    @Override
    public CompletionStage<AuthDecision> authenticate(AuthAttempt attempt) {
      CompletableFuture<Void> gate = open;
      if (!gate.isDone()) {
        held.incrementAndGet();
      }
      return gate.thenApply(ignored -> AuthDecision.allow(attempt.name()));
    }
  }
}
