package io.github.ringleader.messaging.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The SDK's promises to its listeners and to the callers of {@code send}, against a {@link
 * ScriptedServer}: a listener's failure never stops the calls after it, {@code close()} from a
 * listener returns at once and {@code onClosed} still follows, and no future of {@code send}
 * outlives the client.
 */
class MessagingClientListenerContractTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeEverything() throws Exception {
    for (AutoCloseable each : toClose) {
      each.close();
    }
  }

  @Test
  void aListenerThatOverflowsItsStackDoesNotStopTheCallsAfterIt() throws Exception {
    ScriptedServer server = server();
    Recorder alice = new Recorder() {
      @Override
      public void onMessage(ReceivedMessage message) {
        super.onMessage(message);
        if (message.text().equals("first")) {
          recurse(1); // a listener's bug: StackOverflowError
        }
      }
    };
    MessagingClient client = connect(server, alice, false);

    server.send(new ServerEvent.Message("bob", null, "first"));
    server.send(new ServerEvent.Message("bob", null, "second"));

    await(
        () -> "the message after the overflow arrives: " + alice.calls,
        () -> alice.texts.contains("second"));
    assertThat(alice.texts).containsExactly("first", "second");
    assertThat(client.isClosed()).isFalse();
    client.close();
    assertThat(alice.calls).endsWith("onClosed");
  }

  @Test
  void closeFromAListenerWhileTheReaderWaitsForTheListenerReturnsAtOnceAndOnClosedFollows()
      throws Exception {
    ScriptedServer server = server();
    AtomicReference<@Nullable MessagingClient> self = new AtomicReference<>();
    CompletableFuture<Long> closeTookNanos = new CompletableFuture<>();
    Recorder alice = new Recorder() {
      @Override
      public void onMessage(ReceivedMessage message) {
        super.onMessage(message);
        if (!message.text().equals("0")) {
          return;
        }
        // The worst case for a close() from here: the reader has queued more calls than the
        // event thread may have waiting, and waits for this very thread to take some.
        await(() -> "the reader waits for room", MessagingClientListenerContractTest::readerWaits);
        long start = System.nanoTime();
        Objects.requireNonNull(self.get()).close();
        closeTookNanos.complete(System.nanoTime() - start);
      }
    };
    MessagingClient client = connect(server, alice, false); // no pings: only the flood is read
    self.set(client);

    Thread flood = new Thread(() -> {
      try {
        for (int i = 0; i <= ListenerDispatcher.HIGH_WATER + 100; i++) { // bounded
          server.send(new ServerEvent.Message("bob", null, Integer.toString(i)));
        }
      } catch (java.io.IOException e) {
        // the client closed the connection: the flood is over
      }
    });
    flood.setDaemon(true);
    flood.start();

    // Not a measure of speed: before, close() waited twice the 1 s goodbye wait for a reader that
    // was itself waiting for the event thread (which was inside close()), so returning within 1 s
    // shows close() no longer waits for its own thread.
    long took = closeTookNanos.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(Duration.ofNanos(took)).isLessThan(Duration.ofSeconds(1));

    await(() -> "onClosed follows: " + alice.calls.size(), () -> alice.calls.contains("onClosed"));
    assertThat(alice.calls).endsWith("onClosed").containsOnlyOnce("onClosed");
    await(() -> "the client is closed", client::isClosed);
    assertThat(client.send("too late").isCompletedExceptionally()).isTrue();
    flood.join(WAIT.toMillis());
  }

  @Test
  void noFutureOfSendOutlivesCloseAfterAFailoverThatEndedTheSession() throws Exception {
    ScriptedServer server = server(); // never answers a send; its sessions cannot be resumed
    Recorder alice = new Recorder();
    MessagingClient client = connect(server, alice, true);
    List<CompletableFuture<SendResult>> sent =
        List.of(client.send("bob", "one"), client.send("two"));
    long published = client.publish("three");
    await(
        () -> "the server has the messages",
        () -> server.requests.stream()
                .filter(r -> r instanceof ClientRequest.Send)
                .count()
            == 3);

    server.dropConnections(); // the server "crashes" before answering; the client fails over
    await(
        () -> "joined afresh: " + alice.calls,
        () -> alice.calls.stream().filter("onConnected"::equals).count() == 2);
    client.close();

    assertThat(sent)
        .as("every future of send() is done once close() returned")
        .allSatisfy(f -> assertThat(f).isDone());
    for (CompletableFuture<SendResult> future : sent) {
      assertThat(failure(future).kind()).isEqualTo(SendFailedException.Kind.UNCONFIRMED);
    }
    assertThat(alice.publishFailures).containsExactly(published);
    // And the user was told as the listener contract says, before the new session's onConnected.
    assertThat(alice.calls)
        .containsSubsequence("onConnectionLost", "onSessionEnded", "onConnected", "onClosed");
    assertThat(alice.unconfirmed).hasSize(3);
  }

  // ---------------------------------------------------------------- helpers

  private ScriptedServer server() throws Exception {
    ScriptedServer server = new ScriptedServer();
    toClose.add(server);
    return server;
  }

  private MessagingClient connect(ScriptedServer server, Recorder listener, boolean failover)
      throws Exception {
    MessagingClient client = MessagingClient.builder()
        .address("127.0.0.1", server.port())
        .name("alice")
        .listener(listener)
        .balance(false)
        .failover(failover)
        .pingInterval(Duration.ofMillis(100))
        .pingTimeout(Duration.ofMillis(500))
        .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(50))
        .timeout(WAIT)
        .connect();
    toClose.add(0, client); // closed before its server
    return client;
  }

  private static SendFailedException failure(CompletableFuture<SendResult> future)
      throws InterruptedException {
    try {
      future.get();
      throw new AssertionError("succeeded: " + future);
    } catch (ExecutionException e) {
      return (SendFailedException) Objects.requireNonNull(e.getCause());
    }
  }

  /** Whether alice's reader thread is parked waiting for room in the event thread's queue. */
  private static boolean readerWaits() {
    for (Map.Entry<Thread, StackTraceElement[]> each :
        Thread.getAllStackTraces().entrySet()) {
      if (each.getKey().getName().equals("ringleader-client-alice")
          && Arrays.stream(each.getValue()).anyMatch(f -> f.getMethodName().equals("awaitRoom"))
          && each.getKey().getState() == Thread.State.WAITING) {
        return true;
      }
    }
    return false;
  }

  private static int recurse(int depth) {
    return depth < 0 ? 0 : recurse(depth + 1) + 1; // depth < 0 never: it overflows first
  }

  private static void await(Supplier<String> what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting until " + what.get());
      }
      try {
        Thread.sleep(5); // polling a condition, with a deadline
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  /** Records the calls' names, the texts received, and what failed. */
  private static class Recorder implements MessageListener, ConnectionListener {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<String> texts = new CopyOnWriteArrayList<>();
    final List<Long> publishFailures = new CopyOnWriteArrayList<>();
    final List<SentMessage> unconfirmed = new CopyOnWriteArrayList<>();

    @Override
    public void onMessage(ReceivedMessage message) {
      calls.add("onMessage");
      texts.add(message.text());
    }

    @Override
    public void onPublishFailed(SentMessage message, SendFailedException failure) {
      calls.add("onPublishFailed");
      publishFailures.add(message.number());
    }

    @Override
    public void onConnected(SessionInfo session, boolean afresh) {
      calls.add("onConnected");
    }

    @Override
    public void onConnectionLost(String reason, List<SentMessage> unanswered) {
      calls.add("onConnectionLost");
    }

    @Override
    public void onSessionEnded(String reason, List<SentMessage> unconfirmedMessages) {
      calls.add("onSessionEnded");
      unconfirmed.addAll(unconfirmedMessages);
    }

    @Override
    public void onClosed(@Nullable String reason) {
      calls.add("onClosed");
    }
  }
}
