package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;
import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.readOne;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.session.ClientLink;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.tcp.TcpServerStats.CloseReason;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Back-pressure: the server against a fake node that answers sends when the test says so, and
 * refuses with BUSY, as a real node does at its own bound, any send beyond the window the server
 * promises to keep.
 */
class TcpClientServerBackPressureTest {
  private final List<FakeSession> sessions = new CopyOnWriteArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private @Nullable TcpClientServer started;

  private TcpClientServer server() {
    return Objects.requireNonNull(started, "start the server first");
  }

  /** Starts a server whose sessions refuse any send beyond {@code busyAbove} unanswered. */
  private TcpClientServer start(TcpServerConfig.Builder config, int busyAbove, LongSupplier clock)
      throws IOException {
    TcpClientServer server = TcpClientServer.start(
        config.host("127.0.0.1").port(0).build(),
        link -> {
          FakeSession session = new FakeSession(link, busyAbove);
          sessions.add(session);
          return session;
        },
        clock);
    started = server;
    return server;
  }

  @AfterEach
  void stop() throws InterruptedException {
    stopping.set(true);
    TcpClientServer server = started;
    if (server != null) {
      server.close();
    }
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(5));
    }
  }

  /**
   * One connection as the fake node sees it. Answers sends at once, or, while {@link #withhold}
   * is set, keeps them for {@link #release} (called from another thread, as a node's loop would).
   */
  private static final class FakeSession implements TcpClientServer.ClientHandler {
    final ClientLink link;
    final int busyAbove;
    final List<ClientRequest> requests = new CopyOnWriteArrayList<>();
    final AtomicInteger unanswered = new AtomicInteger();
    final AtomicInteger mostUnanswered = new AtomicInteger();
    final LinkedBlockingQueue<Long> withheld = new LinkedBlockingQueue<>();
    final AtomicInteger closedCalls = new AtomicInteger();
    volatile boolean withhold;

    FakeSession(ClientLink link, int busyAbove) {
      this.link = link;
      this.busyAbove = busyAbove;
    }

    @Override
    public void request(ClientRequest request) {
      requests.add(request);
      if (request instanceof ClientRequest.Send send) {
        int now = unanswered.incrementAndGet();
        mostUnanswered.accumulateAndGet(now, Math::max);
        if (now > busyAbove) {
          answer(new ServerEvent.Rejected(send.seq(), ServerEvent.Reason.BUSY, "too many"));
        } else if (withhold) {
          withheld.add(send.seq());
        } else {
          answer(new ServerEvent.Accepted(send.seq()));
        }
      } else if (request instanceof ClientRequest.ListUsers) {
        link.send(new ServerEvent.Users(List.of("somebody")));
      }
    }

    @Override
    public void closed() {
      closedCalls.incrementAndGet();
    }

    /** Lowers the count before the server hears the answer, so it never reads below the truth. */
    private void answer(ServerEvent event) {
      unanswered.decrementAndGet();
      link.send(event);
    }

    /** Answers, in order, the sends withheld so far; returns how many. */
    int release() {
      List<Long> seqs = new ArrayList<>();
      withheld.drainTo(seqs);
      for (long seq : seqs) {
        answer(new ServerEvent.Accepted(seq));
      }
      return seqs.size();
    }

    int sends() {
      return (int)
          requests.stream().filter(r -> r instanceof ClientRequest.Send).count();
    }

    List<Long> sendSeqs() {
      return requests.stream()
          .filter(r -> r instanceof ClientRequest.Send)
          .map(r -> ((ClientRequest.Send) r).seq())
          .collect(Collectors.toList());
    }
  }

  /**
   * Plays the node's loop for {@code session}: releases withheld sends whenever {@code batch} of
   * them wait, or all {@code total} have arrived; ends when all are answered, or after the wait.
   */
  private void answerInBatches(FakeSession session, int total, int batch) {
    Thread t = new Thread(
        () -> {
          long deadline = System.nanoTime() + TcpTestSupport.WAIT.toNanos();
          int answered = 0;
          while (answered < total && !stopping.get() && System.nanoTime() - deadline < 0) {
            if (session.withheld.size() >= batch || session.sends() == total) {
              answered += session.release();
            } else {
              LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
          }
        },
        "fake-node-loop");
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  /** Writes {@code frames} on a thread of its own (the writes block while the server pauses). */
  private AtomicReference<@Nullable Throwable> writeInBackground(
      Socket socket, List<byte[]> frames) {
    AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
    Thread t = new Thread(
        () -> {
          try {
            OutputStream out = socket.getOutputStream();
            for (byte[] frame : frames) {
              out.write(frame);
            }
            out.flush();
          } catch (IOException | RuntimeException e) {
            failure.set(e);
          }
        },
        "raw-client-writer");
    t.setDaemon(true);
    threads.add(t);
    t.start();
    return failure;
  }

  private final List<Socket> connected = new ArrayList<>();

  /** Connects; the test connects one socket at a time, so the server accepts them in order. */
  private Socket connect() throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", server().localPort()), 2000);
    socket.setSoTimeout((int) TcpTestSupport.WAIT.toMillis());
    connected.add(socket);
    return socket;
  }

  /** Waits until the server has made the session of {@code socket}; returns it. */
  private FakeSession connectSession(Socket socket) {
    int index = connected.indexOf(socket);
    await(() -> "the server accepts the connection", () -> sessions.size() > index);
    return sessions.get(index);
  }

  private static List<byte[]> sends(long from, long to, String text) {
    List<byte[]> frames = new ArrayList<>();
    for (long seq = from; seq <= to; seq++) {
      frames.add(ClientCodec.encodeRequest(new ClientRequest.Send(seq, null, text)));
    }
    return frames;
  }

  private static List<Long> seqs(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().collect(Collectors.toList());
  }

  /** Reads {@code count} events and returns them. */
  private static List<ServerEvent> read(Socket socket, int count) throws IOException {
    List<ServerEvent> events = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      events.add(readOne(socket));
    }
    return events;
  }

  private static List<ServerEvent> accepted(long from, long to) {
    return seqs(from, to).stream().map(ServerEvent.Accepted::new).collect(Collectors.toList());
  }

  // ---------------------------------------------------------------- the in-flight window

  @Test
  void aClientPipeliningFarMoreThanTheWindowHasEverySendAnsweredInOrderAndNoneBusy()
      throws Exception {
    int window = 8;
    int total = 400;
    start(
        TcpServerConfig.builder().maxInFlightSends(window).maxRequestsPerSecond(0),
        window,
        System::nanoTime);
    try (Socket socket = connect()) {
      socket.setSendBufferSize(8192);
      FakeSession session = connectSession(socket);
      session.withhold = true;
      AtomicReference<@Nullable Throwable> writeFailure =
          writeInBackground(socket, sends(1, total, "x".repeat(1000)));
      await(
          () -> "the window fills and the server stops reading: " + server().stats(),
          () -> server().stats().pausedNow() == 1);
      assertThat(session.sendSeqs()).containsExactlyElementsOf(seqs(1, window));

      answerInBatches(session, total, window);
      List<ServerEvent> answers = read(socket, total);

      assertThat(writeFailure.get()).isNull();
      assertThat(answers).containsExactlyElementsOf(accepted(1, total));
      assertThat(session.sendSeqs()).containsExactlyElementsOf(seqs(1, total));
      assertThat(session.mostUnanswered.get()).isEqualTo(window);
      TcpServerStats stats = server().stats();
      assertThat(stats.pausedForInFlight()).isPositive();
      assertThat(stats.pausedNow()).isZero();
      assertThat(stats.framesIn()).isEqualTo(total);
      assertThat(stats.pausedForRate()).isZero();
    }
  }

  @Test
  void otherClientsAreServedWhileOneIsPausedForItsWindow() throws Exception {
    int window = 4;
    int total = 20;
    start(TcpServerConfig.builder().maxInFlightSends(window), window, System::nanoTime);
    try (Socket stuck = connect()) {
      FakeSession stuckSession = connectSession(stuck);
      stuckSession.withhold = true;
      writeInBackground(stuck, sends(1, total, "stuck"));
      await(
          () -> "the stuck client is paused: " + server().stats(),
          () -> server().stats().pausedNow() == 1);
      assertThat(stuckSession.sendSeqs()).containsExactlyElementsOf(seqs(1, window));

      try (Socket other = connect()) {
        FakeSession otherSession = connectSession(other);
        OutputStream out = other.getOutputStream();
        for (byte[] frame : sends(1, 10, "other")) {
          out.write(frame);
        }
        out.write(ClientCodec.encodeRequest(new ClientRequest.ListUsers()));
        out.flush();
        List<ServerEvent> otherAnswers = read(other, 11);
        assertThat(otherAnswers.subList(0, 10)).containsExactlyElementsOf(accepted(1, 10));
        assertThat(otherAnswers.get(10)).isEqualTo(new ServerEvent.Users(List.of("somebody")));
        assertThat(otherSession.sendSeqs()).containsExactlyElementsOf(seqs(1, 10));
      }
      // Still held back, still waiting for its answers.
      assertThat(server().stats().pausedNow()).isEqualTo(1);
      assertThat(stuckSession.sends()).isEqualTo(window);

      answerInBatches(stuckSession, total, 1);
      assertThat(read(stuck, total)).containsExactlyElementsOf(accepted(1, total));
      assertThat(stuckSession.mostUnanswered.get()).isEqualTo(window);
      assertThat(server().stats().pausedNow()).isZero();
    }
  }

  @Test
  void aConnectionPausedByTheServerIsNotClosedAsIdle() throws Exception {
    TcpTestSupport.ManualClock clock = new TcpTestSupport.ManualClock();
    int window = 2;
    int total = 5;
    // The fake node never welcomes anyone, and the clock jumps past the hello deadline: off.
    start(
        TcpServerConfig.builder()
            .maxInFlightSends(window)
            .idleTimeout(Duration.ofMillis(200))
            .helloTimeout(Duration.ZERO),
        window,
        clock);
    try (Socket paused = connect()) {
      FakeSession pausedSession = connectSession(paused);
      pausedSession.withhold = true;
      writeInBackground(paused, sends(1, total, "wait for me"));
      await(
          () -> "the client is paused: " + server().stats(),
          () -> server().stats().pausedNow() == 1);

      try (Socket quiet = connect()) {
        FakeSession quietSession = connectSession(quiet);
        clock.advance(Duration.ofSeconds(10));
        // The sweep that finds the quiet one idle looks at the paused one too, in the same pass.
        assertThat(TcpTestSupport.readUntilClosed(quiet))
            .containsExactly(new ServerEvent.Goodbye("idle for more than 200 ms"));
        await(
            () -> "the quiet one's handler hears of it", () -> quietSession.closedCalls.get() == 1);
      }
      assertThat(server().stats().closed(CloseReason.IDLE)).isEqualTo(1);
      assertThat(pausedSession.closedCalls.get()).isZero();

      // It is served to the end: every answer arrives, and no goodbye.
      answerInBatches(pausedSession, total, 1);
      assertThat(read(paused, total)).containsExactlyElementsOf(accepted(1, total));
      assertThat(server().stats().open()).isEqualTo(1);
    }
  }

  // ---------------------------------------------------------------- the rate limit

  @Test
  void aClientFasterThanItsRateIsPausedUntilTokensRefillAndLosesNothing() throws Exception {
    TcpTestSupport.ManualClock clock = new TcpTestSupport.ManualClock();
    int total = 20;
    // 10 a second: a token every 100 ms; 5 at once.
    start(
        TcpServerConfig.builder().maxRequestsPerSecond(10).requestBurst(5),
        TcpServerConfig.DEFAULT_MAX_IN_FLIGHT_SENDS,
        clock);
    try (Socket socket = connect()) {
      FakeSession session = connectSession(socket);
      writeInBackground(socket, sends(1, total, "hurry"));

      await(() -> "paused once: " + server().stats(), () -> server().stats().pausedForRate() == 1);
      // The clock stands still, so nothing more can pass until the test moves it.
      assertThat(session.sends()).isEqualTo(5);

      clock.advance(Duration.ofMillis(100)); // one token
      await(() -> "paused twice: " + server().stats(), () -> server().stats().pausedForRate() == 2);
      assertThat(session.sends()).isEqualTo(6);

      clock.advance(Duration.ofSeconds(1)); // a full bucket, no more
      await(
          () -> "paused 3 times: " + server().stats(), () -> server().stats().pausedForRate() == 3);
      assertThat(session.sends()).isEqualTo(11);

      clock.advance(Duration.ofSeconds(1));
      await(
          () -> "paused 4 times: " + server().stats(), () -> server().stats().pausedForRate() == 4);
      assertThat(session.sends()).isEqualTo(16);

      clock.advance(Duration.ofSeconds(1)); // the last 4 fit in the bucket
      assertThat(read(socket, total)).containsExactlyElementsOf(accepted(1, total));
      assertThat(session.sendSeqs()).containsExactlyElementsOf(seqs(1, total));
      TcpServerStats stats = server().stats();
      assertThat(stats.pausedForRate()).isEqualTo(4);
      assertThat(stats.pausedNow()).isZero();
      assertThat(stats.pausedForInFlight()).isZero();
    }
  }

  @Test
  void everyKindOfRequestCountsAgainstTheRate() throws Exception {
    TcpTestSupport.ManualClock clock = new TcpTestSupport.ManualClock();
    start(
        TcpServerConfig.builder().maxRequestsPerSecond(1).requestBurst(3),
        TcpServerConfig.DEFAULT_MAX_IN_FLIGHT_SENDS,
        clock);
    try (Socket socket = connect()) {
      FakeSession session = connectSession(socket);
      byte[] list = ClientCodec.encodeRequest(new ClientRequest.ListUsers());
      writeInBackground(socket, List.of(list, list, list, list, list));

      await(() -> "paused: " + server().stats(), () -> server().stats().pausedForRate() == 1);
      assertThat(session.requests).hasSize(3);
      assertThat(read(socket, 3)).hasSize(3);

      clock.advance(Duration.ofSeconds(2));
      assertThat(read(socket, 2)).hasSize(2);
      assertThat(session.requests).hasSize(5);
    }
  }

  @Test
  void aConnectionPausedForItsRateIsNotClosedAsIdle() throws Exception {
    TcpTestSupport.ManualClock clock = new TcpTestSupport.ManualClock();
    // One request a second: the second send waits a second, five idle timeouts.
    start(
        TcpServerConfig.builder()
            .maxRequestsPerSecond(1)
            .requestBurst(1)
            .idleTimeout(Duration.ofMillis(200)),
        TcpServerConfig.DEFAULT_MAX_IN_FLIGHT_SENDS,
        clock);
    try (Socket socket = connect()) {
      FakeSession session = connectSession(socket);
      try (Socket quiet = connect()) {
        FakeSession quietSession = connectSession(quiet);
        writeInBackground(socket, sends(1, 2, "slowly"));
        await(() -> "paused: " + server().stats(), () -> server().stats().pausedForRate() == 1);
        assertThat(readOne(socket)).isEqualTo(new ServerEvent.Accepted(1));

        clock.advance(Duration.ofMillis(900)); // no token yet
        // The sweep that finds the quiet one idle looks at the paused one too, in the same pass.
        assertThat(TcpTestSupport.readUntilClosed(quiet))
            .containsExactly(new ServerEvent.Goodbye("idle for more than 200 ms"));
        await(
            () -> "the quiet one's handler hears of it", () -> quietSession.closedCalls.get() == 1);
      }
      assertThat(server().stats().pausedNow()).isEqualTo(1);

      clock.advance(Duration.ofMillis(100)); // the token is there
      assertThat(readOne(socket)).isEqualTo(new ServerEvent.Accepted(2));
      assertThat(session.closedCalls.get()).isZero();
      assertThat(server().stats().closed(CloseReason.IDLE)).isEqualTo(1);
      assertThat(server().stats().open()).isEqualTo(1);
    }
  }
}
