package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;
import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.readOne;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.client.ClientRequest;
import io.github.ringleader.messaging.client.ServerEvent;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeState;
import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.protocol.NodeId;
import io.github.ringleader.messaging.transport.udp.UdpMulticastTransport;
import io.github.ringleader.messaging.transport.udp.UdpTransportConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Back-pressure against a real node: one server over UDP on loopback, its TCP listener with the
 * default settings, and a client that pipelines, in one write, far more sends than the node keeps
 * unanswered before it answers BUSY.
 */
class TcpBackPressureEndToEndTest {
  private @Nullable MessagingNode node;
  private @Nullable UdpMulticastTransport transport;
  private @Nullable TcpClientServer server;
  private final List<MessagingClient> clients = new ArrayList<>();

  @AfterEach
  void stopEverything() {
    clients.forEach(MessagingClient::close);
    if (server != null) {
      server.close();
    }
    MessagingNode n = node;
    if (n != null && n.state() != NodeState.STOPPED && n.state() != NodeState.FAILED) {
      n.close();
    }
    if (transport != null) {
      transport.close();
    }
  }

  private TcpClientServer startServer() throws Exception {
    int groupPort;
    try (DatagramChannel probe = DatagramChannel.open()) {
      probe.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[4]), 0));
      groupPort = ((InetSocketAddress) probe.getLocalAddress()).getPort();
    }
    UdpMulticastTransport udp =
        new UdpMulticastTransport(
            UdpTransportConfig.builder()
                .group("239.255." + ((groupPort >> 8) & 0xFF) + "." + (groupPort & 0xFF))
                .port(groupPort)
                .networkInterface("lo")
                .ttl(0)
                .bindAddress("127.0.0.1")
                .build());
    transport = udp;
    MessagingNode n =
        MessagingNode.builder()
            .nodeId("server1")
            .clusterName("tcp-back-pressure")
            .transport(udp)
            .heartbeatInterval(Duration.ofMillis(100))
            .missedHeartbeats(3)
            .discoveryWindow(Duration.ofMillis(200))
            .build();
    node = n;
    n.start().get(5, TimeUnit.SECONDS);
    await(() -> "server1 leads itself", () -> NodeId.of("server1").equals(n.leader()));
    TcpClientServer tcp =
        TcpClientServer.start(TcpServerConfig.builder().host("127.0.0.1").port(0).build(), n);
    server = tcp;
    return tcp;
  }

  private MessagingClient join(TcpClientServer tcp, String name, TcpTestSupport.Recorder listener)
      throws IOException {
    MessagingClient client =
        MessagingClient.connect("127.0.0.1", tcp.localPort(), name, listener, Duration.ofSeconds(10));
    clients.add(client);
    return client;
  }

  @Test
  void aClientPipeliningFourTimesTheNodesBusyBoundHasEverySendAcceptedInOrder() throws Exception {
    TcpClientServer tcp = startServer();
    TcpTestSupport.Recorder bob = new TcpTestSupport.Recorder();
    join(tcp, "bob", bob);
    try (Socket alice = new Socket()) {
      alice.connect(new InetSocketAddress("127.0.0.1", tcp.localPort()), 2000);
      alice.setSoTimeout((int) TcpTestSupport.WAIT.toMillis());
      alice.getOutputStream().write(ClientCodec.encodeRequest(new ClientRequest.Hello("alice")));
      assertThat(readOne(alice)).isInstanceOf(ServerEvent.Welcome.class);

      // All at once, in one write: the node answers BUSY beyond 1,024 unanswered.
      int total = 4096;
      ByteArrayOutputStream burst = new ByteArrayOutputStream();
      for (int i = 1; i <= total; i++) {
        burst.write(ClientCodec.encodeRequest(new ClientRequest.Send(i, null, "m" + i)));
      }
      alice.getOutputStream().write(burst.toByteArray());

      List<ServerEvent> answers = new ArrayList<>();
      while (answers.size() < total) {
        ServerEvent event = readOne(alice);
        if (event instanceof ServerEvent.Accepted || event instanceof ServerEvent.Rejected) {
          answers.add(event);
        }
      }
      assertThat(answers)
          .containsExactlyElementsOf(
              LongStream.rangeClosed(1, total)
                  .mapToObj(ServerEvent.Accepted::new)
                  .collect(Collectors.toList()));
      List<String> expected =
          LongStream.rangeClosed(1, total).mapToObj(i -> "m" + i).collect(Collectors.toList());
      await(() -> "bob has every message", () -> bob.messages.size() == total);
      assertThat(bob.messages.stream().map(ServerEvent.Message::text))
          .containsExactlyElementsOf(expected);
    }
  }
}
