package io.github.ringleader.messaging.transport.udp;

import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.WAIT;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.await;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.freeUdpPort;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.tagged;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.testConfig;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.protocol.ClusterCodec;
import io.github.ringleader.messaging.protocol.FrameAuthenticator;
import io.github.ringleader.messaging.transport.AuthFailure;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.udp.UdpTestSupport.RecordingReceiver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two real UDP transports on loopback with a cluster key: forgeries and replays deliver nothing. */
class AuthenticatedUdpTransportTest {
  private static final ClusterKey KEY = ClusterKey.of(filled(1));
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

  private UdpMulticastTransport started(@Nullable ClusterKey key, RecordingReceiver receiver)
      throws IOException {
    UdpMulticastTransport transport =
        new UdpMulticastTransport(testConfig(groupPort).clusterKey(key).build());
    toClose.add(transport);
    transport.start(receiver);
    return transport;
  }

  private DatagramChannel intruder() throws IOException {
    DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
    toClose.add(channel);
    channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return channel;
  }

  @Test
  void aControlFrameOvertakingALongQueueOfDataDoesNotGetTheDataRefusedAsReplayed()
      throws IOException, InterruptedException {
    java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    UdpMulticastTransport transportA =
        new UdpMulticastTransport(testConfig(groupPort).clusterKey(KEY).build());
    toClose.add(transportA);
    transportA.start(envelope -> {
      if (UdpTestSupport.tagOf(envelope) == 0) {
        holding.countDown(); // holds A's I/O thread while the test fills its queues
        try {
          release.await(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    RecordingReceiver b = new RecordingReceiver();
    // Released, A sends the whole queue at once: ~17 datagrams of 16 KiB, more than a default
    // socket buffer (208 KiB on Linux) holds if B's thread is slow to drain it, and UDP drops
    // what does not fit. What this test is about is the replay window, not the kernel's buffer.
    UdpMulticastTransport transportB = new UdpMulticastTransport(
        testConfig(groupPort).clusterKey(KEY).receiveBufferBytes(4 << 20).build());
    toClose.add(transportB);
    transportB.start(b);
    transportA.sendToAll(tagged("alpha", "server-a", 0));
    assertThat(holding.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    int data = 3 * 1024; // more than the receivers' replay window
    for (long tag = 1; tag <= data; tag++) {
      transportA.sendToAll(UdpTestSupport.data("alpha", "server-a", tag));
    }
    transportA.sendToAll(tagged("alpha", "server-a", 100_000)); // control: leaves first
    release.countDown();
    b.awaitTag(data);
    b.awaitTag(100_000);
    assertThat(b.received().stream().filter(e -> UdpTestSupport.tagOf(e) > 0)).hasSize(data + 1);
    assertThat(transportB.refused(AuthFailure.REPLAYED)).isZero();
  }

  @Test
  void keyedTransportsTalkAndForgedTamperedOrReplayedDatagramsDeliverNothing() throws IOException {
    RecordingReceiver a = new RecordingReceiver();
    RecordingReceiver b = new RecordingReceiver();
    UdpMulticastTransport transportA = started(KEY, a);
    UdpMulticastTransport transportB = started(KEY, b);
    transportA.sendToAll(tagged("alpha", "server-a", 1));
    b.awaitTag(1);

    DatagramChannel intruder = intruder();
    InetSocketAddress atB = transportB.localUnicastAddress();
    byte[] plain = ClusterCodec.encode(tagged("alpha", "server-x", 2));
    byte[] wrongKey = new FrameAuthenticator(ClusterKey.of(filled(9)))
        .seal(ClusterCodec.encode(tagged("alpha", "server-x", 3)));
    FrameAuthenticator insider = new FrameAuthenticator(KEY); // what a key holder sent, recorded
    byte[] genuine = insider.seal(ClusterCodec.encode(tagged("alpha", "server-x", 10)));
    byte[] tampered = insider.seal(ClusterCodec.encode(tagged("alpha", "server-x", 4)));
    tampered[tampered.length - 17] ^= 1; // the last byte of the body
    byte[] sentinel = insider.seal(ClusterCodec.encode(tagged("alpha", "server-x", 5)));

    for (byte[] datagram :
        List.of(plain, wrongKey, genuine, tampered, genuine, genuine, sentinel)) {
      intruder.send(ByteBuffer.wrap(datagram), atB);
    }
    // One socket to one socket on loopback arrives in order: once the sentinel is in, all are.
    b.awaitTag(5);

    assertThat(b.received().stream().map(UdpTestSupport::tagOf).toList())
        .containsExactly(1L, 10L, 5L);
    assertThat(transportB.refused(AuthFailure.NO_MAC)).isEqualTo(1);
    assertThat(transportB.refused(AuthFailure.BAD_MAC)).isEqualTo(2);
    assertThat(transportB.refused(AuthFailure.REPLAYED)).isEqualTo(2);
  }

  @Test
  void aTransportWithoutTheKeyNeitherReachesAKeyedOneNorHearsIt() throws IOException {
    RecordingReceiver keyed = new RecordingReceiver();
    RecordingReceiver open = new RecordingReceiver();
    UdpMulticastTransport transportKeyed = started(KEY, keyed);
    UdpMulticastTransport transportOpen = started(null, open);

    transportOpen.sendToAll(tagged("alpha", "server-open", 1));
    transportKeyed.sendToAll(tagged("alpha", "server-keyed", 2));
    await(
        WAIT,
        () -> "the keyed transport refused the plain datagram",
        () -> transportKeyed.refused(AuthFailure.NO_MAC) >= 1);
    await(
        WAIT,
        () -> "the keyless transport dropped the authenticated datagram",
        () -> transportOpen
                .stats()
                .malformed(io.github.ringleader.messaging.transport.CodecException.Reason.BAD_MAGIC)
            >= 1);
    keyed.awaitTag(2); // its own multicast comes back to it

    assertThat(keyed.received().stream().map(UdpTestSupport::tagOf)).doesNotContain(1L);
    assertThat(open.received().stream().map(UdpTestSupport::tagOf)).doesNotContain(2L);
  }
}
