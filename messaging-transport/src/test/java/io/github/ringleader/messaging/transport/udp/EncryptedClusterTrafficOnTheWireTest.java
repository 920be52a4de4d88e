package io.github.ringleader.messaging.transport.udp;

import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.WAIT;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.freeUdpPort;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.testConfig;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.AuthenticationException;
import io.github.ringleader.messaging.protocol.ClusterCodec;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.FrameAuthenticator;
import io.github.ringleader.messaging.protocol.Sequenced;
import io.github.ringleader.messaging.protocol.StreamEntry;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.CodecException;
import io.github.ringleader.messaging.transport.udp.UdpTestSupport.RecordingReceiver;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an eavesdropper on the network sees: a plain socket joined to the cluster's group (on
 * loopback, TTL 0) records every datagram a real transport multicasts. With a cluster key, the
 * text of a private chat the leader multicasts is in none of them; without one it is there in
 * clear — the second test shows the capture would catch it.
 */
class EncryptedClusterTrafficOnTheWireTest {
  private static final ClusterKey KEY = ClusterKey.of(filled(1));
  private static final String SECRET = "the vault code is 4-8-15-16-23-42";
  private static final ClusterEnvelope PRIVATE_CHAT = new ClusterEnvelope(
      "alpha",
      NodeId.of("server-a"),
      1,
      new Sequenced(1L << 40, 1, new StreamEntry.Chat("alice", 11, 1, "bob", SECRET)));

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private int groupPort;

  private static byte[] filled(int value) {
    byte[] key = new byte[ClusterKey.KEY_BYTES];
    Arrays.fill(key, (byte) value);
    return key;
  }

  @BeforeEach
  void pickPort() throws IOException {
    groupPort = freeUdpPort();
  }

  @AfterEach
  void closeEverything() throws Exception {
    for (AutoCloseable closeable : toClose) {
      closeable.close();
    }
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

  /**
   * Starts a transport with {@code key}, multicasts the private chat and records datagrams until
   * one of them is the chat (read with the key, as a member would); returns all recorded.
   */
  private List<byte[]> captureThePrivateChat(@Nullable ClusterKey key) throws IOException {
    DatagramChannel eavesdropper = eavesdropper();
    UdpMulticastTransport transport =
        new UdpMulticastTransport(testConfig(groupPort).clusterKey(key).build());
    toClose.add(transport);
    RecordingReceiver own = new RecordingReceiver();
    transport.start(own);
    transport.sendToAll(PRIVATE_CHAT);

    FrameAuthenticator member = key == null ? null : new FrameAuthenticator(key);
    List<byte[]> captured = new ArrayList<>();
    ByteBuffer buffer = ByteBuffer.allocate(ClusterCodec.MAX_FRAME_BYTES);
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
    return frames.contains(PRIVATE_CHAT);
  }

  private static boolean contains(byte[] datagram, String text) {
    return new String(datagram, StandardCharsets.ISO_8859_1).contains(text);
  }

  @Test
  void withAClusterKeyNoDatagramOnTheWireCarriesTheChatsTextOrNames() throws IOException {
    List<byte[]> captured = captureThePrivateChat(KEY);

    assertThat(captured).isNotEmpty();
    for (byte[] datagram : captured) {
      assertThat(contains(datagram, SECRET)).as("the text in clear").isFalse();
      assertThat(contains(datagram, "alice")).as("the sender's name in clear").isFalse();
      assertThat(contains(datagram, "bob")).as("the recipient's name in clear").isFalse();
      // What stays in clear for routing and replay: the cluster and the sending server.
      assertThat(contains(datagram, "alpha") && contains(datagram, "server-a")).isTrue();
    }
  }

  @Test
  void withoutAKeyTheChatsTextCrossesTheWireInClear() throws IOException {
    List<byte[]> captured = captureThePrivateChat(null);

    assertThat(captured.get(captured.size() - 1))
        .satisfies(datagram -> assertThat(contains(datagram, SECRET)).isTrue());
  }
}
