package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;
import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.readOne;
import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.readUntilClosed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.tcp.TcpServerStats.CloseReason;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The limits on what one address and one connection that never joins can hold of a server, over
 * real sockets against a fake node that welcomes every Hello. A second client address is
 * 127.0.0.2, which Linux routes to the loopback interface like 127.0.0.1.
 */
class TcpClientServerLimitsTest {
  private final AtomicInteger connects = new AtomicInteger();
  private final List<Socket> sockets = new ArrayList<>();
  private @Nullable TcpClientServer started;

  private TcpClientServer server() {
    return Objects.requireNonNull(started, "start the server first");
  }

  private void start(TcpServerConfig.Builder config) throws IOException {
    start(config, System::nanoTime);
  }

  private void start(TcpServerConfig.Builder config, LongSupplier nanoClock) throws IOException {
    started = TcpClientServer.start(
        config.host("127.0.0.1").port(0).build(),
        link -> {
          connects.incrementAndGet();
          return new TcpClientServer.ClientHandler() {
            @Override
            public void request(ClientRequest request) {
              if (request instanceof ClientRequest.Hello hello) {
                link.send(new ServerEvent.Welcome(hello.name(), 1, NodeId.of("server1")));
              }
            }

            @Override
            public void closed() {}
          };
        },
        nanoClock);
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
    TcpClientServer server = started;
    if (server != null) {
      server.close();
    }
  }

  private Socket connectFrom(String localAddress) throws IOException {
    Socket socket = new Socket();
    sockets.add(socket);
    socket.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
    socket.connect(new InetSocketAddress("127.0.0.1", server().localPort()), 2000);
    socket.setSoTimeout(5000);
    return socket;
  }

  private static void send(Socket socket, ClientRequest request) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(ClientCodec.encodeRequest(request));
    out.flush();
  }

  @Test
  void aConnectionOverTheLimitOfItsAddressIsToldWhyWhileAnotherAddressStillGetsIn()
      throws Exception {
    start(TcpServerConfig.builder().maxConnectionsPerAddress(2));
    connectFrom("127.0.0.1");
    connectFrom("127.0.0.1");
    await(() -> "both connections are handed to the node", () -> connects.get() == 2);

    Socket third = connectFrom("127.0.0.1");
    assertThat(readUntilClosed(third))
        .containsExactly(new ServerEvent.Goodbye("too many connections from 127.0.0.1 (limit 2)"));
    assertThat(server().stats().closed(CloseReason.TOO_MANY_FROM_ADDRESS)).isEqualTo(1);
    assertThat(connects.get()).isEqualTo(2);

    Socket other = connectFrom("127.0.0.2");
    send(other, new ClientRequest.Hello("bob"));
    assertThat(readOne(other)).isInstanceOf(ServerEvent.Welcome.class);
    assertThat(server().stats().open()).isEqualTo(3);
  }

  @Test
  void theClientLibraryShowsTheRefusalInItsOwnWords() throws Exception {
    start(TcpServerConfig.builder().maxConnectionsPerAddress(1));
    connectFrom("127.0.0.1");
    await(() -> "the first connection is handed to the node", () -> connects.get() == 1);

    assertThatThrownBy(() -> MessagingClient.connect(
            "127.0.0.1",
            server().localPort(),
            "bob",
            new TcpTestSupport.Recorder(),
            Duration.ofSeconds(5)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("too many connections from 127.0.0.1 (limit 1)");
  }

  @Test
  void anAddressGetsItsPlaceBackWhenOneOfItsConnectionsCloses() throws Exception {
    start(TcpServerConfig.builder().maxConnectionsPerAddress(1));
    Socket first = connectFrom("127.0.0.1");
    await(() -> "the first connection is handed to the node", () -> connects.get() == 1);
    first.close();
    await(() -> "the first connection is closed", () -> server().stats().open() == 0);

    Socket second = connectFrom("127.0.0.1");
    send(second, new ClientRequest.Hello("alice"));
    assertThat(readOne(second)).isInstanceOf(ServerEvent.Welcome.class);
    assertThat(server().stats().closed(CloseReason.TOO_MANY_FROM_ADDRESS)).isZero();
  }

  @Test
  void aConnectionThatTricklesBytesButNeverJoinsIsClosedAtTheHelloDeadline() throws Exception {
    start(TcpServerConfig.builder().helloTimeout(Duration.ofMillis(300)));
    Socket joiner = connectFrom("127.0.0.1");
    send(joiner, new ClientRequest.Hello("alice"));
    assertThat(readOne(joiner)).isInstanceOf(ServerEvent.Welcome.class);

    // A frame it never finishes, one byte every 30 ms: each is activity, none is a join.
    Socket trickler = connectFrom("127.0.0.1");
    byte[] frame = ClientCodec.encodeRequest(new ClientRequest.Send(1, null, "x".repeat(100)));
    OutputStream out = trickler.getOutputStream();
    int written = 0;
    while (written < frame.length - 1 && !closedForHello(Duration.ofMillis(30))) {
      out.write(frame[written++]);
      out.flush();
    }
    assertThat(written).as("bytes trickled before the deadline").isGreaterThan(1);
    assertThat(readUntilClosed(trickler))
        .containsExactly(new ServerEvent.Goodbye("did not join within 300 ms"));
    assertThat(server().stats().closed(CloseReason.HELLO_TIMEOUT)).isEqualTo(1);
    // The one that joined stays, past the deadline.
    assertThat(server().stats().open()).isEqualTo(1);
    assertThat(server().stats().closed()).containsOnlyKeys(CloseReason.HELLO_TIMEOUT);
  }

  @Test
  void anAddressThatConnectsFasterThanItsJoinRateIsToldWhyWhileAnotherAddressStillGetsIn()
      throws Exception {
    TcpTestSupport.ManualClock clock = new TcpTestSupport.ManualClock();
    start(TcpServerConfig.builder().maxJoinsPerSecondPerAddress(2).joinBurstPerAddress(2), clock);
    // Connect and hang up at once, twice: nothing stays open, but each was a join.
    for (int i = 0; i < 2; i++) {
      Socket churn = connectFrom("127.0.0.1");
      int expected = i + 1;
      await(
          () -> "connection " + expected + " is handed to the node",
          () -> connects.get() == expected);
      churn.close();
    }
    await(() -> "both are closed", () -> server().stats().open() == 0);

    Socket third = connectFrom("127.0.0.1");
    assertThat(readUntilClosed(third))
        .containsExactly(
            new ServerEvent.Goodbye("too many joins from 127.0.0.1: at most 2 a second"));
    assertThat(server().stats().closed(CloseReason.TOO_MANY_JOINS_FROM_ADDRESS)).isEqualTo(1);
    assertThat(connects.get()).as("the node never heard of the refused one").isEqualTo(2);

    Socket other = connectFrom("127.0.0.2");
    send(other, new ClientRequest.Hello("bob"));
    assertThat(readOne(other)).isInstanceOf(ServerEvent.Welcome.class);

    // Half a second (one join at 2 a second) later, 127.0.0.1 gets one more in, and only one.
    clock.advance(Duration.ofMillis(500));
    Socket again = connectFrom("127.0.0.1");
    send(again, new ClientRequest.Hello("alice"));
    assertThat(readOne(again)).isInstanceOf(ServerEvent.Welcome.class);
    Socket tooSoon = connectFrom("127.0.0.1");
    assertThat(readUntilClosed(tooSoon))
        .containsExactly(
            new ServerEvent.Goodbye("too many joins from 127.0.0.1: at most 2 a second"));
    assertThat(server().stats().closed(CloseReason.TOO_MANY_JOINS_FROM_ADDRESS)).isEqualTo(2);
    assertThat(server().stats().open()).isEqualTo(2);
  }

  @Test
  void byDefaultAnAddressMayOpenItsBurstAtOnce() throws Exception {
    TcpTestSupport.ManualClock clock = new TcpTestSupport.ManualClock();
    start(TcpServerConfig.builder(), clock);
    for (int i = 0; i < TcpServerConfig.DEFAULT_JOIN_BURST_PER_ADDRESS; i++) {
      connectFrom("127.0.0.1").close();
    }
    await(
        () -> "the burst is handed to the node",
        () -> connects.get() == TcpServerConfig.DEFAULT_JOIN_BURST_PER_ADDRESS);
    Socket oneMore = connectFrom("127.0.0.1");
    assertThat(readUntilClosed(oneMore))
        .containsExactly(
            new ServerEvent.Goodbye("too many joins from 127.0.0.1: at most 10 a second"));
  }

  /** Whether the server closes a connection for not joining within {@code wait}. */
  private boolean closedForHello(Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() - deadline < 0) {
      if (server().stats().closed(CloseReason.HELLO_TIMEOUT) > 0) {
        return true;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    return server().stats().closed(CloseReason.HELLO_TIMEOUT) > 0;
  }
}
