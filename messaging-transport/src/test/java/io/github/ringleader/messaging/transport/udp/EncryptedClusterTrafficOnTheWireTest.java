package io.github.ringleader.messaging.transport.udp;

import static io.github.ringleader.messaging.transport.udp.UdpServers.awaitMembers;
import static io.github.ringleader.messaging.transport.udp.UdpServers.key;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.WAIT;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.await;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.freeUdpPort;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.testConfig;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.client.MessageListener;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.ReceivedMessage;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.AuthenticationException;
import io.github.ringleader.messaging.protocol.ClusterCodec;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.FrameAuthenticator;
import io.github.ringleader.messaging.protocol.Sequenced;
import io.github.ringleader.messaging.protocol.StreamEntry;
import io.github.ringleader.messaging.server.MessagingServer;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.CodecException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an eavesdropper on the network sees: a plain socket joined to the cluster's group (on
 * loopback, TTL 0) records every datagram a real server multicasts while alice sends bob a
 * private chat through it. With a cluster key on the node, the chat's text and the clients'
 * names are in none of them; without one the text is there in clear — the second test shows the
 * capture would catch it.
 */
class EncryptedClusterTrafficOnTheWireTest {
  private static final ClusterKey KEY = key(1);
  private static final String SECRET = "the vault code is 4-8-15-16-23-42";

  private UdpServers servers;
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private int groupPort;

  @BeforeEach
  void pickPort() throws IOException {
    groupPort = freeUdpPort();
    servers = new UdpServers(groupPort);
  }

  @AfterEach
  void closeEverything() throws Exception {
    for (AutoCloseable closeable : toClose) {
      closeable.close();
    }
    servers.close();
  }

  /** A plain socket that receives the group's datagrams, as anyone on the network segment can. */
  private DatagramChannel eavesdropper() throws IOException {
    UdpTransportConfig config = testConfig(groupPort).build();
    DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
    toClose.add(channel);
    channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
    channel.bind(new InetSocketAddress(config.group(), groupPort));
    channel.join(config.group(), NetworkInterface.getByName("lo"));
    channel.configureBlocking(false);
    return channel;
  }

  private MessagingClient client(MessagingServer server, String name, MessageListener listener)
      throws IOException {
    MessagingClient client = MessagingClient.builder()
        .address("127.0.0.1", server.clientPort())
        .name(name)
        .messageListener(listener)
        .balance(false)
        .failover(false)
        .timeout(WAIT)
        .connect();
    toClose.add(client);
    return client;
  }

  /**
   * Starts server-a with {@code key}, has alice send bob the secret privately through it and
   * records the group's datagrams until one of them is the leader's sequenced chat (read with the
   * key, as a member would); returns all recorded.
   */
  private List<byte[]> captureThePrivateChat(@Nullable ClusterKey key) throws Exception {
    DatagramChannel eavesdropper = eavesdropper();
    MessagingServer server = servers.started("server-a", key);
    awaitMembers(List.of(server), "server-a");
    await(
        () -> "server-a leads: " + server.node().leader(),
        () -> NodeId.of("server-a").equals(server.node().leader()));
    List<ReceivedMessage> atBob = new CopyOnWriteArrayList<>();
    MessagingClient alice = client(server, "alice", MessageListener.NONE);
    client(server, "bob", new MessageListener() {
      @Override
      public void onMessage(ReceivedMessage message) {
        atBob.add(message);
      }
    });

    alice.send("bob", SECRET).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    await(() -> "bob has the chat: " + atBob, () -> !atBob.isEmpty());

    FrameAuthenticator member = key == null ? null : new FrameAuthenticator(key);
    List<byte[]> captured = new ArrayList<>();
    ByteBuffer buffer = ByteBuffer.allocate(ClusterCodec.MAX_FRAME_BYTES + 1);
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      buffer.clear();
      if (eavesdropper.receive(buffer) != null) {
        byte[] datagram = Arrays.copyOf(buffer.array(), buffer.position());
        captured.add(datagram);
        if (isThePrivateChat(member, datagram)) {
          return captured;
        }
      } else if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError(
            "the private chat never reached the group; " + captured.size() + " other datagram(s)");
      } else {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
      }
    }
  }

  private static boolean isThePrivateChat(@Nullable FrameAuthenticator member, byte[] datagram) {
    List<ClusterEnvelope> frames = new ArrayList<>();
    try {
      if (member == null) {
        ClusterCodec.decodeAll(datagram, 0, datagram.length, frames);
      } else {
        member.openAll(datagram, 0, datagram.length, frames);
      }
    } catch (CodecException | AuthenticationException e) {
      return false;
    }
    return frames.stream()
        .anyMatch(e -> e.message() instanceof Sequenced sequenced
            && sequenced.entry() instanceof StreamEntry.Chat chat
            && SECRET.equals(chat.text())
            && "bob".equals(chat.to()));
  }

  private static boolean contains(byte[] datagram, String text) {
    return new String(datagram, StandardCharsets.ISO_8859_1).contains(text);
  }

  @Test
  void withAClusterKeyNoDatagramOnTheWireCarriesTheChatsTextOrNames() throws Exception {
    List<byte[]> captured = captureThePrivateChat(KEY);

    assertThat(captured).isNotEmpty();
    for (byte[] datagram : captured) {
      assertThat(contains(datagram, SECRET)).as("the text in clear").isFalse();
      assertThat(contains(datagram, "alice")).as("the sender's name in clear").isFalse();
      assertThat(contains(datagram, "bob")).as("the recipient's name in clear").isFalse();
      // What stays in clear for routing and replay: the cluster and the sending server.
      assertThat(contains(datagram, UdpServers.CLUSTER) && contains(datagram, "server-a"))
          .isTrue();
    }
  }

  @Test
  void withoutAKeyTheChatsTextCrossesTheWireInClear() throws Exception {
    List<byte[]> captured = captureThePrivateChat(null);

    assertThat(captured.get(captured.size() - 1))
        .satisfies(datagram -> assertThat(contains(datagram, SECRET)).isTrue());
  }
}
