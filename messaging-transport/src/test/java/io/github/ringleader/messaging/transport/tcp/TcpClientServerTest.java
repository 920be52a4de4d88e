package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;
import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.readOne;
import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.readUntilClosed;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.session.ClientLink;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.CodecException;
import io.github.ringleader.messaging.transport.tcp.TcpServerStats.CloseReason;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server against a fake node that echoes: every request comes back as a Message naming it,
 * so the tests see exactly what the server decoded.
 */
class TcpClientServerTest {
  private final List<ClientLink> links = new CopyOnWriteArrayList<>();
  private final List<ClientRequest> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger closedCalls = new AtomicInteger();
  private @Nullable TcpClientServer started;

  private TcpClientServer server() {
    return Objects.requireNonNull(started, "start the server first");
  }

  private TcpClientServer start(TcpServerConfig.Builder config) throws IOException {
    TcpClientServer server =
        TcpClientServer.start(config.host("127.0.0.1").port(0).build(), link -> {
          links.add(link);
          return new TcpClientServer.ClientHandler() {
            @Override
            public void request(ClientRequest request) {
              requests.add(request);
              link.send(new ServerEvent.Message("echo", null, request.toString()));
            }

            @Override
            public void closed() {
              closedCalls.incrementAndGet();
            }
          };
        });
    started = server;
    return server;
  }

  @AfterEach
  void stop() {
    TcpClientServer server = started;
    if (server != null) {
      server.close();
    }
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", server().localPort()), 2000);
    socket.setSoTimeout(5000);
    return socket;
  }

  @Test
  void framesSplitAcrossWritesAndFramesBackToBackAreAllDecoded() throws Exception {
    start(TcpServerConfig.builder());
    try (Socket socket = connect()) {
      byte[] hello = ClientCodec.encodeRequest(new ClientRequest.Hello("alice"));
      byte[] list = ClientCodec.encodeRequest(new ClientRequest.ListUsers());
      OutputStream out = socket.getOutputStream();
      for (byte b : hello) { // one byte at a time
        out.write(b);
        out.flush();
      }
      out.write(ByteBuffer.allocate(list.length * 2).put(list).put(list).array());
      out.flush();
      for (int i = 0; i < 3; i++) {
        assertThat(readOne(socket)).isInstanceOf(ServerEvent.Message.class);
      }
      assertThat(requests)
          .containsExactly(
              new ClientRequest.Hello("alice"),
              new ClientRequest.ListUsers(),
              new ClientRequest.ListUsers());
      assertThat(server().stats().framesIn()).isEqualTo(3);
    }
  }

  @Test
  void aMalformedFrameGetsAGoodbyeWithTheReasonAndClosesOnlyThatConnection() throws Exception {
    start(TcpServerConfig.builder());
    try (Socket good = connect();
        Socket bad = connect()) {
      bad.getOutputStream().write(new byte[] {0, 0, 0, 4, 'R', 'L', 1, 4});
      List<ServerEvent> events = readUntilClosed(bad);
      assertThat(events)
          .containsExactly(new ServerEvent.Goodbye(
              "malformed frame: frame starts with magic 0x52 0x4C, expected 0x52 0x43 (\"RC\")"));

      good.getOutputStream().write(ClientCodec.encodeRequest(new ClientRequest.Hello("bob")));
      assertThat(readOne(good)).isInstanceOf(ServerEvent.Message.class);
      await(() -> "the bad connection is closed", () -> closedCalls.get() == 1);
      TcpServerStats stats = server().stats();
      assertThat(stats.malformed(CodecException.Reason.BAD_MAGIC)).isEqualTo(1);
      assertThat(stats.closed(CloseReason.MALFORMED)).isEqualTo(1);
      assertThat(stats.open()).isEqualTo(1);
    }
  }

  @Test
  void anOversizedAnnouncementIsRefusedAtOnceWithoutWaitingForTheBytes() throws Exception {
    start(TcpServerConfig.builder());
    try (Socket bad = connect()) {
      bad.getOutputStream().write(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff});
      List<ServerEvent> events = readUntilClosed(bad);
      assertThat(events).hasSize(1);
      assertThat(((ServerEvent.Goodbye) events.get(0)).reason())
          .startsWith("malformed frame: frame announces 2147483647 bytes");
      assertThat(server().stats().malformed(CodecException.Reason.OVERSIZED)).isEqualTo(1);
    }
  }

  @Test
  void aTruncatedFrameFollowedByTheClientClosingCountsAsClientClosed() throws Exception {
    start(TcpServerConfig.builder());
    try (Socket socket = connect()) {
      byte[] hello = ClientCodec.encodeRequest(new ClientRequest.Hello("alice"));
      socket.getOutputStream().write(hello, 0, hello.length - 2);
      socket.shutdownOutput();
      assertThat(readUntilClosed(socket)).isEmpty();
    }
    await(() -> "closed() is called", () -> closedCalls.get() == 1);
    assertThat(server().stats().closed(CloseReason.CLIENT_CLOSED)).isEqualTo(1);
    assertThat(requests).isEmpty();
  }

  @Test
  void aConnectionThatSendsNothingIsClosedAfterTheIdleTimeout() throws Exception {
    start(TcpServerConfig.builder().idleTimeout(Duration.ofMillis(200)));
    try (Socket quiet = connect()) {
      List<ServerEvent> events = readUntilClosed(quiet);
      assertThat(events).containsExactly(new ServerEvent.Goodbye("idle for more than 200 ms"));
    }
    assertThat(server().stats().closed(CloseReason.IDLE)).isEqualTo(1);
    // The socket closes just before the handler hears of it.
    await(() -> "closed() is called", () -> closedCalls.get() == 1);
  }

  @Test
  void aClientThatStopsReadingIsDisconnectedWhenItsQueueIsFull() throws Exception {
    start(TcpServerConfig.builder().maxQueuedFrames(16).socketSendBufferBytes(4096));
    try (Socket slow = new Socket()) {
      slow.setReceiveBufferSize(4096);
      slow.connect(new InetSocketAddress("127.0.0.1", server().localPort()), 2000);
      await(() -> "the link exists", () -> links.size() == 1);
      ClientLink link = links.get(0);
      String text = "x".repeat(4000);
      // The node's side: sends never block, whatever the client does.
      long started = System.nanoTime();
      for (int i = 0; i < 2000 && server().stats().closed(CloseReason.SLOW_READER) == 0; i++) {
        link.send(new ServerEvent.Message("alice", null, text));
      }
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
      await(
          () -> "the slow reader is disconnected: " + server().stats(),
          () -> server().stats().closed(CloseReason.SLOW_READER) == 1);
      await(() -> "closed() is called", () -> closedCalls.get() == 1);
    }
  }

  @Test
  void linkCloseFlushesWhatWasSentFirst() throws Exception {
    start(TcpServerConfig.builder());
    try (Socket socket = connect()) {
      await(() -> "the link exists", () -> links.size() == 1);
      ClientLink link = links.get(0);
      link.send(new ServerEvent.Goodbye("bye"));
      link.close();
      assertThat(readUntilClosed(socket)).containsExactly(new ServerEvent.Goodbye("bye"));
    }
    await(() -> "closed", () -> server().stats().closed(CloseReason.SERVER_CLOSED) == 1);
  }

  @Test
  void closeClosesEveryConnectionAndTellsTheirHandlers() throws Exception {
    start(TcpServerConfig.builder());
    try (Socket a = connect();
        Socket b = connect()) {
      await(() -> "both links exist", () -> links.size() == 2);
      server().close();
      assertThat(readUntilClosed(a)).isEmpty();
      assertThat(readUntilClosed(b)).isEmpty();
      assertThat(closedCalls.get()).isEqualTo(2);
      assertThat(server().stats().closed(CloseReason.SHUTDOWN)).isEqualTo(2);
    }
  }

  @Test
  void theSelectorWakesNeverEarlyAndNeverWaitsForever() {
    long ms = 1_000_000L;
    assertThat(TcpClientServer.selectTimeoutMillis(0, 100 * ms)).isEqualTo(100);
    assertThat(TcpClientServer.selectTimeoutMillis(0, 100 * ms + 1)).isEqualTo(101);
    assertThat(TcpClientServer.selectTimeoutMillis(0, 1)).isEqualTo(1);
    assertThat(TcpClientServer.selectTimeoutMillis(0, 0)).isEqualTo(1);
    assertThat(TcpClientServer.selectTimeoutMillis(500 * ms, 0)).isEqualTo(1);
    assertThat(TcpClientServer.selectTimeoutMillis(Long.MAX_VALUE, Long.MIN_VALUE + 3 * ms))
        .isEqualTo(4); // across the wrap: 3 ms and 1 ns ahead
  }
}
