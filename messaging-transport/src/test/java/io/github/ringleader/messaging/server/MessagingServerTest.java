package io.github.ringleader.messaging.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.node.DuplicateNodeIdException;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeState;
import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.CodecException;
import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
import io.github.ringleader.messaging.transport.udp.UdpTestSupport;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server object's life cycle over real sockets on 127.0.0.1: multicast on loopback with TTL
 * 0, a free group port per test, every read with a timeout.
 */
class MessagingServerTest {
  private static final int READ_TIMEOUT_MS = 10_000;

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final String cluster = "server-test-" + ProcessHandle.current().pid();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private MessagingServer.Builder server(String id, int groupPort) {
    return MessagingServer.builder()
        .node(MessagingNode.builder()
            .nodeId(id)
            .clusterName(cluster)
            .clientHost("127.0.0.1")
            .heartbeatInterval(Duration.ofMillis(100))
            .discoveryWindow(Duration.ofMillis(200)))
        .cluster(UdpTestSupport.testConfig(groupPort).build())
        .clients(TcpServerConfig.builder().host("127.0.0.1").port(0).build());
  }

  private MessagingServer started(MessagingServer.Builder builder) throws Exception {
    MessagingServer server = builder.build();
    toClose.add(server);
    server.start();
    return server;
  }

  @Test
  void startingOnPortZeroBindsARealPortWhichTheNodeAnnounces() throws Exception {
    MessagingServer server = started(server("server1", UdpTestSupport.freeUdpPort()));

    assertThat(server.clientPort()).isPositive();
    assertThat(server.node().state()).isEqualTo(NodeState.RUNNING);
    assertThat(server.node().config().clientPort()).isEqualTo(server.clientPort());
    try (Socket client = connect(server.clientPort())) {
      send(client, new ClientRequest.Hello("alice"));
      assertThat(readUntilWelcome(client).name()).isEqualTo("alice");
    }
  }

  @Test
  void closeSaysGoodbyeToEachClientBeforeItsSocketCloses() throws Exception {
    MessagingServer server = started(server("server1", UdpTestSupport.freeUdpPort()));
    try (Socket client = connect(server.clientPort())) {
      send(client, new ClientRequest.Hello("alice"));
      readUntilWelcome(client);

      server.close();

      List<ServerEvent> rest = readUntilClosed(client);
      assertThat(rest).isNotEmpty();
      assertThat(rest.get(rest.size() - 1))
          .isEqualTo(new ServerEvent.Goodbye("server server1 is shutting down"));
    }
    assertThat(server.node().state()).isEqualTo(NodeState.STOPPED);
  }

  @Test
  void terminateUnregistersTheNodesJmxBeanAsCloseDoes() throws Exception {
    MessagingServer.Builder builder = server("server1", UdpTestSupport.freeUdpPort());
    builder.node(MessagingNode.builder()
        .nodeId("server1")
        .clusterName(cluster)
        .clientHost("127.0.0.1")
        .heartbeatInterval(Duration.ofMillis(100))
        .discoveryWindow(Duration.ofMillis(200))
        .jmx(true));
    MessagingServer server = started(builder);
    javax.management.MBeanServer beans =
        java.lang.management.ManagementFactory.getPlatformMBeanServer();
    javax.management.ObjectName name =
        io.github.ringleader.messaging.metrics.NodeMetricsJmx.objectName(
            cluster, server.node().id());
    assertThat(beans.isRegistered(name)).isTrue();

    server.terminate();

    assertThat(beans.isRegistered(name)).as("unregistered by terminate()").isFalse();
  }

  @Test
  void closeIsIdempotentAndAllowedBeforeStart() throws Exception {
    MessagingServer unstarted = server("server1", UdpTestSupport.freeUdpPort()).build();
    unstarted.close();
    unstarted.close();
    assertThatThrownBy(unstarted::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");

    MessagingServer server = started(server("server2", UdpTestSupport.freeUdpPort()));
    int port = server.clientPort();
    server.close();
    server.close();
    assertThat(server.node().state()).isEqualTo(NodeState.STOPPED);
    assertThatThrownBy(() -> connect(port).close()).isInstanceOf(ConnectException.class);
  }

  @Test
  void closeWhileTheNodeDiscoversFailsTheStartAndClosesThePort() throws Exception {
    // A 20 s heartbeat makes the discovery window 10 s: the close comes well inside it.
    MessagingNode.Builder slow = MessagingNode.builder()
        .nodeId("server1")
        .clusterName(cluster)
        .heartbeatInterval(Duration.ofSeconds(20));
    MessagingServer server = MessagingServer.builder()
        .node(slow)
        .cluster(UdpTestSupport.testConfig(UdpTestSupport.freeUdpPort()).build())
        .clients(TcpServerConfig.builder().host("127.0.0.1").port(0).build())
        .build();
    toClose.add(server);
    CompletableFuture<Void> running = server.startAsync();
    assertThat(server.node().state()).isIn(NodeState.NEW, NodeState.DISCOVERING);
    int port = server.clientPort();

    server.close();

    assertThatThrownBy(() -> running.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> connect(port).close()).isInstanceOf(ConnectException.class);
  }

  @Test
  void terminateWhileTheNodeDiscoversFailsTheStartRatherThanLeavingItWaiting() throws Exception {
    // terminate() stops the loop first, so the node itself can never finish (nor fail) its start.
    MessagingServer server = MessagingServer.builder()
        .node(MessagingNode.builder()
            .nodeId("server1")
            .clusterName(cluster)
            .heartbeatInterval(Duration.ofSeconds(20)))
        .cluster(UdpTestSupport.testConfig(UdpTestSupport.freeUdpPort()).build())
        .clients(TcpServerConfig.builder().host("127.0.0.1").port(0).build())
        .build();
    toClose.add(server);
    CompletableFuture<Void> running = server.startAsync();
    int port = server.clientPort();

    server.terminate();

    assertThatThrownBy(() -> running.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(IllegalStateException.class)
        .hasMessageContaining("terminated while starting");
    assertThatThrownBy(() -> connect(port).close()).isInstanceOf(ConnectException.class);
  }

  @Test
  void aTakenClientPortFailsTheStartNamingTheAddress() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      MessagingServer server = server("server1", UdpTestSupport.freeUdpPort())
          .clients(TcpServerConfig.builder().host("127.0.0.1").port(port).build())
          .build();
      toClose.add(server);

      assertThatThrownBy(server::start)
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("cannot accept clients on 127.0.0.1:" + port + ": ");
      assertThatThrownBy(server::node)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("was closed before it opened");
      assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void aTakenIdFailsTheStartAndClosesTheClientPortItHadOpened() throws Exception {
    int group = UdpTestSupport.freeUdpPort();
    started(server("server1", group));
    MessagingServer second = server("server1", group).build();
    toClose.add(second);

    assertThatThrownBy(second::start)
        .isInstanceOf(DuplicateNodeIdException.class)
        .hasMessageContaining("server1 is already in use");
    int port = second.clientPort(); // it had bound one before the node found the id taken
    assertThatThrownBy(() -> connect(port).close()).isInstanceOf(ConnectException.class);
  }

  @Test
  void invalidNodeSettingsFailTheStartAndCloseTheClientPort() throws Exception {
    MessagingServer server = MessagingServer.builder()
        .node(MessagingNode.builder().nodeId("server1").capacity(-1))
        .clients(TcpServerConfig.builder().host("127.0.0.1").port(0).build())
        .cluster(UdpTestSupport.testConfig(UdpTestSupport.freeUdpPort()).build())
        .build();
    toClose.add(server);

    assertThatThrownBy(server::start)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("capacity");
    int port = server.clientPort();
    assertThatThrownBy(() -> connect(port).close()).isInstanceOf(ConnectException.class);
  }

  @Test
  void aBuilderWithoutNodeSettingsSaysSo() {
    assertThatThrownBy(() -> MessagingServer.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("node settings are required");
  }

  // ---------------------------------------------------------------- raw client

  private static Socket connect(int port) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(READ_TIMEOUT_MS);
    return socket;
  }

  private static void send(Socket socket, ClientRequest request) throws IOException {
    socket.getOutputStream().write(ClientCodec.encodeRequest(request));
    socket.getOutputStream().flush();
  }

  private static ServerEvent.Welcome readUntilWelcome(Socket socket) throws IOException {
    for (int i = 0; i < 100; i++) {
      ServerEvent event = read(socket);
      if (event == null) {
        throw new AssertionError("the server closed the connection before welcoming it");
      }
      if (event instanceof ServerEvent.Welcome welcome) {
        return welcome;
      }
    }
    throw new AssertionError("no Welcome in the first 100 events");
  }

  /** Every event until the server closes the connection (bounded by the read timeout). */
  private static List<ServerEvent> readUntilClosed(Socket socket) throws IOException {
    List<ServerEvent> events = new ArrayList<>();
    for (ServerEvent e = read(socket); e != null; e = read(socket)) {
      events.add(e);
    }
    return events;
  }

  /** The next event, or null at the end of the stream. */
  private static @Nullable ServerEvent read(Socket socket) throws IOException {
    DataInputStream in = new DataInputStream(socket.getInputStream());
    byte[] prefix = new byte[ClientCodec.LENGTH_PREFIX_BYTES];
    try {
      in.readFully(prefix);
      int length = ClientCodec.frameLength(prefix, 0, prefix.length);
      byte[] frame = Arrays.copyOf(prefix, length);
      in.readFully(frame, prefix.length, length - prefix.length);
      return ClientCodec.decodeEvent(frame);
    } catch (EOFException e) {
      return null;
    } catch (SocketTimeoutException e) {
      throw new AssertionError(
          "the server neither wrote nor closed within " + READ_TIMEOUT_MS + " ms");
    } catch (CodecException e) {
      throw new AssertionError("the server sent a malformed frame: " + e.getMessage());
    }
  }
}
