package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.client.ConnectionListener;
import io.github.ringleader.messaging.client.MessageListener;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.ReceivedMessage;
import io.github.ringleader.messaging.client.SendFailedException;
import io.github.ringleader.messaging.client.SentMessage;
import io.github.ringleader.messaging.client.SessionInfo;
import io.github.ringleader.messaging.session.ServerEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The listeners' threading contract, over real sockets: every call of a client's {@link
 * MessageListener} and {@link ConnectionListener} — those made while {@code connect()} runs on the
 * caller's thread, those of the reader, of the failover's timer, and of {@code close()} — is made
 * on the client's one event thread, one at a time, and {@code onClosed} comes last.
 */
class ListenerThreadingEndToEndTest {
  private @Nullable LoopbackCluster cluster;

  @AfterEach
  void stopEverything() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyListenerCallAcrossConnectMessagesAFailoverAndCloseIsOnTheOneEventThread()
      throws Exception {
    LoopbackCluster c =
        LoopbackCluster.builder("threading").advertiseClientPorts().start();
    cluster = c;
    ThreadRecorder alice = new ThreadRecorder();
    MessagingClient client = c.join(MessagingClient.builder()
        .address("127.0.0.1", c.port(0))
        .name("alice")
        .listener(alice)
        .balance(false)
        .pingInterval(Duration.ofMillis(100))
        .pingTimeout(Duration.ofMillis(500))
        .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(200)));
    assertThat(alice.names())
        .as("connect() returns after its own events were delivered")
        .contains("onServers", "onConnected");

    TcpTestSupport.Recorder bob = new TcpTestSupport.Recorder();
    MessagingClient bobClient = c.join(MessagingClient.builder()
        .address("127.0.0.1", c.port(1))
        .name("bob")
        .listener(bob)
        .balance(false));
    TcpTestSupport.accepted(bobClient.send("alice", "hi alice"));
    client.publish("nobody", "is anyone there?"); // refused: onPublishFailed
    client.listUsers();
    await(
        () -> "alice heard bob, the refusal and the users: " + alice.names(),
        () -> alice.names().containsAll(List.of("onMessage", "onPublishFailed", "onUsers")));

    c.node(0).close(); // alice's server goes: she fails over to another and resumes
    await(() -> "alice resumed: " + alice.names(), () -> alice.names().contains("onResumed"));
    TcpTestSupport.accepted(bobClient.send("alice", "still there?"));
    await(() -> "alice hears bob again", () -> alice.texts.contains("still there?"));

    client.close();
    assertThat(alice.names())
        .as("close() returns after onClosed was delivered")
        .contains("onClosed");

    assertThat(alice.names())
        .contains(
            "onServers",
            "onConnected",
            "onPresence",
            "onMessage",
            "onPublishFailed",
            "onUsers",
            "onConnectionLost",
            "onResumed",
            "onClosed")
        .endsWith("onClosed");
    Thread events = alice.calls.get(0).thread();
    assertThat(events.getName()).isEqualTo("ringleader-client-events-alice");
    assertThat(events).isNotSameAs(Thread.currentThread());
    assertThat(alice.calls)
        .as("every call on the one event thread")
        .allSatisfy(call -> assertThat(call.thread()).as(call.name()).isSameAs(events));
    assertThat(alice.mostAtOnce.get()).as("never two calls at once").isEqualTo(1);
  }

  /** Records the thread of every call, and how many ran at once. */
  private static final class ThreadRecorder implements MessageListener, ConnectionListener {
    record Call(String name, Thread thread) {}

    final List<Call> calls = new CopyOnWriteArrayList<>();
    final List<String> texts = new CopyOnWriteArrayList<>();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();

    List<String> names() {
      return calls.stream().map(Call::name).toList();
    }

    private void record(String name) {
      int now = running.incrementAndGet();
      mostAtOnce.accumulateAndGet(now, Math::max);
      try {
        Thread.sleep(1); // widen the window in which a second call would overlap
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      calls.add(new Call(name, Thread.currentThread()));
      running.decrementAndGet();
    }

    @Override
    public void onMessage(ReceivedMessage message) {
      texts.add(message.text());
      record("onMessage");
    }

    @Override
    public void onPresence(ServerEvent.Presence presence) {
      record("onPresence");
    }

    @Override
    public void onUsers(List<String> names) {
      record("onUsers");
    }

    @Override
    public void onServers(ServerEvent.Servers servers) {
      record("onServers");
    }

    @Override
    public void onPublishFailed(SentMessage message, SendFailedException failure) {
      record("onPublishFailed");
    }

    @Override
    public void onConnected(SessionInfo session, boolean afresh) {
      record("onConnected");
    }

    @Override
    public void onConnectionLost(String reason, List<SentMessage> unanswered) {
      record("onConnectionLost");
    }

    @Override
    public void onReconnecting(int round, String lastError, Duration nextRoundWithin) {
      record("onReconnecting");
    }

    @Override
    public void onResumed(SessionInfo session, boolean complete) {
      record("onResumed");
    }

    @Override
    public void onSessionEnded(String reason, List<SentMessage> unconfirmed) {
      record("onSessionEnded");
    }

    @Override
    public void onClosed(@Nullable String reason) {
      record("onClosed");
    }
  }
}
