package io.github.ringleader.messaging.transport.udp;

import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.await;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.data;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.freeUdpPort;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.tagOf;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.tagged;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.testConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterCodec;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.transport.ClusterTransport;
import io.github.ringleader.messaging.transport.CodecException.Reason;
import io.github.ringleader.messaging.transport.udp.UdpTestSupport.RecordingReceiver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The UDP transport over real sockets, all on this host: a 239.255.x.y group on the loopback
 * interface with TTL 0, unicast on 127.0.0.1, a fresh group port per test.
 */
class UdpMulticastTransportTest {

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private int groupPort;

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

  private UdpMulticastTransport transport(UdpTransportConfig.Builder config) {
    UdpMulticastTransport transport = new UdpMulticastTransport(config.build());
    toClose.add(transport);
    return transport;
  }

  private UdpMulticastTransport started(RecordingReceiver receiver) throws IOException {
    UdpMulticastTransport transport = transport(testConfig(groupPort));
    transport.start(receiver);
    return transport;
  }

  /** A plain socket on 127.0.0.1 that can also send to the test group over loopback, TTL 0. */
  private DatagramChannel intruder() throws IOException {
    DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
    toClose.add(channel);
    channel.setOption(StandardSocketOptions.IP_MULTICAST_IF, NetworkInterface.getByName("lo"));
    channel.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 0);
    channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return channel;
  }

  private InetSocketAddress groupAddress() {
    return testConfig(groupPort).build().groupAddress();
  }

  @Test
  void sendToAllReachesTheOtherTransportAndComesBackToTheSender() throws IOException {
    RecordingReceiver a = new RecordingReceiver();
    RecordingReceiver b = new RecordingReceiver();
    UdpMulticastTransport transportA = started(a);
    started(b);

    transportA.sendToAll(tagged("alpha", "server-a", 1));

    b.awaitTag(1);
    // Documented: IP_MULTICAST_LOOP is on, so the sender receives its own multicast; the node
    // recognises its own id and ignores it.
    a.awaitTag(1);
    ClusterEnvelope atB = b.received().get(0);
    assertThat(atB).isEqualTo(tagged("alpha", "server-a", 1));
    assertThat(transportA.stats().sent()).isEqualTo(1);
  }

  @Test
  void framesQueuedWhileTheIoThreadIsBusyLeaveTogetherInFewDatagramsAndInOrder()
      throws IOException, InterruptedException {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    // A's receiver runs on A's I/O thread: holding it there lets sends pile up in the queue.
    ClusterTransport.Receiver blocking = envelope -> {
      if (tagOf(envelope) == 0) {
        holding.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    UdpMulticastTransport transportA = transport(testConfig(groupPort));
    transportA.start(blocking);
    RecordingReceiver b = new RecordingReceiver();
    started(b);

    transportA.sendToAll(tagged("alpha", "server-a", 0)); // comes back to A and holds its thread
    assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
    int frames = 200;
    for (long tag = 1; tag <= frames; tag++) {
      transportA.sendToAll(data("alpha", "server-a", tag));
    }
    release.countDown();
    b.awaitTag(frames);

    assertThat(b.received().stream().mapToLong(UdpTestSupport::tagOf).filter(t -> t > 0))
        .containsExactlyElementsOf(LongStream.rangeClosed(1, frames).boxed().toList());
    UdpTransportStats stats = transportA.stats();
    assertThat(stats.sent()).isEqualTo(frames + 1);
    int frameBytes = ClusterCodec.encode(data("alpha", "server-a", frames)).length;
    long perDatagram = UdpMulticastTransport.LOOPBACK_BATCH_BYTES / frameBytes;
    assertThat(stats.datagramsSent())
        .as("%d frames of %d bytes, %d to a datagram", frames, frameBytes, perDatagram)
        .isEqualTo(1 + (frames + perDatagram - 1) / perDatagram);
  }

  @Test
  void aControlFrameQueuedBehindDataLeavesFirst() throws IOException, InterruptedException {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    UdpMulticastTransport transportA = transport(testConfig(groupPort));
    transportA.start(envelope -> {
      if (tagOf(envelope) == 0) {
        holding.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    RecordingReceiver b = new RecordingReceiver();
    started(b);
    transportA.sendToAll(tagged("alpha", "server-a", 0)); // comes back to A and holds its thread
    assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
    for (long tag = 1; tag <= 3; tag++) {
      transportA.sendToAll(data("alpha", "server-a", tag));
    }
    transportA.sendToAll(tagged("alpha", "server-a", 99)); // an ElectionAck: the control plane
    release.countDown();
    b.awaitTag(3);
    b.awaitTag(99);
    assertThat(b.received().stream().mapToLong(UdpTestSupport::tagOf).filter(t -> t > 0))
        .containsExactly(99L, 1L, 2L, 3L);
  }

  @Test
  void aReceiverLearnsTheSendersUnicastAddressSoSendReachesOnlyThatMember() throws IOException {
    RecordingReceiver a = new RecordingReceiver();
    RecordingReceiver b = new RecordingReceiver();
    RecordingReceiver c = new RecordingReceiver();
    UdpMulticastTransport transportA = started(a);
    UdpMulticastTransport transportB = started(b);
    started(c);
    transportA.sendToAll(tagged("alpha", "server-a", 1));
    b.awaitTag(1);

    transportB.send(NodeId.of("server-a"), tagged("alpha", "server-b", 2));
    a.awaitTag(2);
    // A marker multicast after the unicast: once C and B have it, nothing else is on its way.
    transportB.sendToAll(tagged("alpha", "server-b", 3));
    c.awaitTag(3);
    b.awaitTag(3);

    assertThat(a.countTag(2)).isEqualTo(1);
    assertThat(b.hasTag(2)).as("the sender does not get its unicast").isFalse();
    assertThat(c.hasTag(2)).as("a third member does not get the unicast").isFalse();
    assertThat(transportB.stats().unknownDestination()).isZero();
    assertThat(transportA.localUnicastAddress().getAddress().getHostAddress())
        .isEqualTo("127.0.0.1");
  }

  @Test
  void envelopesOfAnotherClusterAreDeliveredForTheNodeToFilter() throws IOException {
    RecordingReceiver a = new RecordingReceiver();
    RecordingReceiver c = new RecordingReceiver();
    UdpMulticastTransport transportA = started(a);
    UdpMulticastTransport transportC = started(c);

    transportA.sendToAll(tagged("alpha", "server-a", 1));
    transportC.sendToAll(tagged("beta", "server-c", 2));

    // The transport does not know its node's cluster name; MessagingNode drops (and counts)
    // foreign clusters' messages.
    c.awaitTag(1);
    a.awaitTag(2);
    assertThat(c.received())
        .filteredOn(e -> tagOf(e) == 1)
        .extracting(ClusterEnvelope::cluster)
        .containsOnly("alpha");
  }

  @Test
  void pointToPointAddressesAreKeptPerClusterSoEqualIdsInTwoClustersDoNotMix() throws IOException {
    RecordingReceiver alpha = new RecordingReceiver();
    RecordingReceiver beta = new RecordingReceiver();
    RecordingReceiver b = new RecordingReceiver();
    UdpMulticastTransport inAlpha = started(alpha);
    UdpMulticastTransport inBeta = started(beta);
    UdpMulticastTransport transportB = started(b);
    inAlpha.sendToAll(tagged("alpha", "server1", 1));
    inBeta.sendToAll(tagged("beta", "server1", 2));
    b.awaitTag(1);
    b.awaitTag(2);

    transportB.send(NodeId.of("server1"), tagged("alpha", "server-b", 10));
    transportB.send(NodeId.of("server1"), tagged("beta", "server-b", 20));

    alpha.awaitTag(10);
    beta.awaitTag(20);
    transportB.sendToAll(tagged("alpha", "server-b", 30));
    alpha.awaitTag(30);
    beta.awaitTag(30);
    assertThat(alpha.hasTag(20)).isFalse();
    assertThat(beta.hasTag(10)).isFalse();
  }

  @Test
  void malformedDatagramsAreDroppedAndCountedByReasonAndValidOnesStillArrive() throws IOException {
    RecordingReceiver a = new RecordingReceiver();
    UdpMulticastTransport transportA = started(a);
    DatagramChannel intruder = intruder();
    InetSocketAddress unicast = transportA.localUnicastAddress();
    byte[] valid = ClusterCodec.encode(tagged("alpha", "server-x", 1));

    byte[] randomAfterPrefix = new byte[100];
    new Random(42).nextBytes(randomAfterPrefix);
    ByteBuffer.wrap(randomAfterPrefix).putInt(96).put((byte) 0); // right length, bad magic
    byte[] truncated = Arrays.copyOf(valid, valid.length - 3);
    byte[] oversizedPrefix = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1, 2, 3};
    byte[] wrongVersion = valid.clone();
    wrongVersion[6] = 2;
    byte[] trailingByte = Arrays.copyOf(valid, valid.length + 1);
    byte[] largestDatagram = new byte[ClusterCodec.MAX_FRAME_BYTES]; // zero magic
    ByteBuffer.wrap(largestDatagram).putInt(ClusterCodec.MAX_FRAME_BYTES - 4);

    for (byte[] garbage : List.of(
        randomAfterPrefix,
        truncated,
        oversizedPrefix,
        wrongVersion,
        trailingByte,
        new byte[0],
        largestDatagram)) {
      intruder.send(ByteBuffer.wrap(garbage), unicast);
    }
    intruder.send(
        ByteBuffer.wrap("not a frame".getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
        groupAddress());
    // Datagrams from one socket to one socket arrive in order on loopback, and the I/O thread
    // counts each before it reads the next: once both valid frames are in, every drop is counted.
    intruder.send(ByteBuffer.wrap(valid), unicast);
    byte[] validToGroup = ClusterCodec.encode(tagged("alpha", "server-x", 2));
    intruder.send(ByteBuffer.wrap(validToGroup), groupAddress());
    a.awaitTag(1);
    a.awaitTag(2);

    UdpTransportStats stats = transportA.stats();
    assertThat(stats.received()).isEqualTo(2);
    assertThat(stats.malformed(Reason.BAD_MAGIC)).isEqualTo(2);
    assertThat(stats.malformed(Reason.TRUNCATED)).isEqualTo(2);
    assertThat(stats.malformed(Reason.OVERSIZED)).isEqualTo(2);
    assertThat(stats.malformed(Reason.UNSUPPORTED_VERSION)).isEqualTo(1);
    assertThat(stats.malformed(Reason.LENGTH_MISMATCH)).isEqualTo(1);
    assertThat(stats.malformedTotal()).isEqualTo(8);
    assertThat(stats.receiveErrors()).isZero();
  }

  @Test
  void sendToAMemberNeverHeardFromIsDroppedAndCountedWithoutThrowing() throws IOException {
    RecordingReceiver a = new RecordingReceiver();
    UdpMulticastTransport transportA = started(a);

    assertThatCode(() -> transportA.send(NodeId.of("nobody"), tagged("alpha", "server-a", 1)))
        .doesNotThrowAnyException();

    await(() -> "the drop is counted", () -> transportA.stats().unknownDestination() == 1);
    assertThat(transportA.stats().sent()).isZero();
  }

  @Test
  void sendsBeyondAFullOutboundQueueAreDroppedAndCounted() throws Exception {
    CountDownLatch receiverEntered = new CountDownLatch(1);
    CountDownLatch releaseReceiver = new CountDownLatch(1);
    AtomicInteger delivered = new AtomicInteger();
    UdpMulticastTransport transportA = transport(testConfig(groupPort).maxOutboundQueue(4));
    transportA.start(envelope -> {
      if (envelope.sender().value().equals("blocker")) {
        // Holds the I/O thread (against the receiver contract, on purpose) so that nothing
        // drains the queue while the test fills it.
        receiverEntered.countDown();
        try {
          releaseReceiver.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      } else {
        delivered.incrementAndGet();
      }
    });
    intruder()
        .send(
            ByteBuffer.wrap(ClusterCodec.encode(tagged("alpha", "blocker", 0))),
            transportA.localUnicastAddress());
    assertThat(receiverEntered.await(5, TimeUnit.SECONDS)).as("I/O thread held").isTrue();

    for (int i = 1; i <= 10; i++) {
      transportA.sendToAll(data("alpha", "server-a", i));
    }

    assertThat(transportA.stats().droppedOutbound()).isEqualTo(6);
    releaseReceiver.countDown();
    await(() -> "the 4 queued datagrams are sent", () -> transportA.stats().sent() == 4);
    await(() -> "they come back over loopback", () -> delivered.get() == 4);
    assertThat(transportA.stats().droppedOutbound()).isEqualTo(6);
  }

  @Test
  void aReceiverThatThrowsIsCountedAndTheTransportCarriesOn() throws IOException {
    RecordingReceiver b = new RecordingReceiver();
    UdpMulticastTransport transportA = transport(testConfig(groupPort));
    transportA.start(envelope -> {
      if (tagOf(envelope) == 1) {
        throw new IllegalStateException("receiver bug");
      }
    });
    UdpMulticastTransport transportB = started(b);

    transportB.sendToAll(tagged("alpha", "server-b", 1));
    await(() -> "the failure is counted", () -> transportA.stats().receiverFailures() == 1);
    transportA.sendToAll(tagged("alpha", "server-a", 2));

    b.awaitTag(2);
  }

  @Test
  void datagramsQueuedBeforeCloseAreStillSent() throws IOException {
    RecordingReceiver b = new RecordingReceiver();
    UdpMulticastTransport transportA = started(new RecordingReceiver());
    started(b);

    // As MessagingNode does: its Leave is queued, then the transport closed at once.
    transportA.sendToAll(tagged("alpha", "server-a", 7));
    transportA.close();

    b.awaitTag(7);
  }

  @Test
  void sendsBeforeStartAndAfterCloseAreDroppedAndCounted() throws IOException {
    UdpMulticastTransport transportA = transport(testConfig(groupPort));
    transportA.sendToAll(tagged("alpha", "server-a", 1));
    transportA.start(new RecordingReceiver());
    transportA.close();
    transportA.close(); // idempotent

    transportA.send(NodeId.of("server-b"), tagged("alpha", "server-a", 2));

    assertThat(transportA.stats().droppedOutbound()).isEqualTo(2);
    assertThat(transportA.stats().sent()).isZero();
  }

  @Test
  void startingTwiceOrAfterCloseIsRefused() throws IOException {
    UdpMulticastTransport transportA = started(new RecordingReceiver());

    assertThatThrownBy(() -> transportA.start(new RecordingReceiver()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("UDP transport was already started");
    transportA.close();
    assertThatThrownBy(() -> transportA.start(new RecordingReceiver()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("UDP transport is closed; create a new one");
  }

  @Test
  void closeStopsTheIoThread() throws IOException {
    UdpMulticastTransport transportA = started(new RecordingReceiver());
    String threadName = "ringleader-udp-" + groupPort;
    assertThat(ioThreads(threadName)).isNotEmpty();

    transportA.close();

    // close() joins the thread before it returns.
    assertThat(ioThreads(threadName)).isEmpty();
  }

  private static List<Thread> ioThreads(String name) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals(name) && t.isAlive())
        .toList();
  }

  @Test
  void aFixedUnicastPortIsWhereTheTransportSendsFromAndListens() throws IOException {
    int unicastPort = freeUdpPort();
    RecordingReceiver b = new RecordingReceiver();
    UdpMulticastTransport transportA = transport(testConfig(groupPort).unicastPort(unicastPort));
    transportA.start(new RecordingReceiver());
    started(b);

    assertThat(transportA.localUnicastAddress().getPort()).isEqualTo(unicastPort);
    transportA.sendToAll(tagged("alpha", "server-a", 1));
    b.awaitTag(1);
  }

  @Test
  void aStartThatCannotBindSaysWhereAndLeavesNothingOpen() throws IOException {
    DatagramChannel squatter = intruder();
    int taken = ((InetSocketAddress) squatter.getLocalAddress()).getPort();
    UdpMulticastTransport transportA = transport(testConfig(groupPort).unicastPort(taken));

    assertThatThrownBy(() -> transportA.start(new RecordingReceiver()))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("cannot bind the unicast socket to 127.0.0.1:" + taken + ": ");

    assertThat(ioThreads("ringleader-udp-" + groupPort)).isEmpty();
    // The group port is still usable by a transport that can bind.
    RecordingReceiver b = new RecordingReceiver();
    UdpMulticastTransport transportB = started(b);
    transportB.sendToAll(tagged("alpha", "server-b", 1));
    b.awaitTag(1);
  }

  @Test
  void aLoneTransportGivesTheSilenceHintOnce() throws IOException {
    UdpMulticastTransport transportA =
        transport(testConfig(groupPort).silenceHintAfter(java.time.Duration.ofMillis(100)));
    transportA.start(new RecordingReceiver());
    transportA.sendToAll(tagged("alpha", "server-a", 1)); // its own echo does not count

    await(() -> "the hint is logged", () -> transportA.silenceHintsLogged() == 1);
    transportA.sendToAll(tagged("alpha", "server-a", 2));
    await(() -> "the echo is back", () -> transportA.stats().received() == 2);
    assertThat(transportA.silenceHintsLogged()).isEqualTo(1);
  }

  @Test
  void aTransportThatHearsAnotherServerGivesNoSilenceHint() throws IOException {
    RecordingReceiver a = new RecordingReceiver();
    UdpMulticastTransport transportA =
        transport(testConfig(groupPort).silenceHintAfter(java.time.Duration.ofSeconds(5)));
    transportA.start(a);
    UdpMulticastTransport transportB = started(new RecordingReceiver());

    transportB.sendToAll(tagged("alpha", "server-b", 1));
    a.awaitTag(1);
    // Hearing B settles the hint long before its deadline: it can no longer fire.
    await(() -> "the hint is settled", transportA::silenceHintSettled);

    assertThat(transportA.silenceHintsLogged()).isZero();
  }
}
