package io.github.ringleader.messaging.transport.udp;

import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.await;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.control;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.data;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.frameBytes;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.freeUdpPort;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.parse;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.testConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.transport.ClusterTransport;
import io.github.ringleader.messaging.transport.OutboundFrame;
import io.github.ringleader.messaging.transport.udp.UdpTestSupport.Delivery;
import io.github.ringleader.messaging.transport.udp.UdpTestSupport.RecordingReceiver;
import io.github.ringleader.messaging.transport.udp.UdpTestSupport.TestFrame;
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
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The UDP transport over real sockets, all on this host: a 239.255.x.y group on the loopback
 * interface with TTL 0, unicast on 127.0.0.1, a fresh group port per test. The transport carries
 * opaque bytes, so these tests send test frames ({@link UdpTestSupport}) and a receiver that
 * stands in for the node; what the node does with real frames (sealing, opening, counting what
 * is malformed or forged) is tested with real nodes in {@code AuthenticatedUdpClusterTest} and
 * {@code UdpClusterFramesTest}.
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

  /**
   * A receiver that holds the I/O thread it is called on (against the receiver contract, on
   * purpose) at the first frame tagged 0, until {@code release} opens: so sends pile up in the
   * transport's queues meanwhile.
   */
  private static ClusterTransport.Receiver holdingAtTagZero(
      CountDownLatch holding, CountDownLatch release) {
    return holdingAtTagZero(holding, release, new RecordingReceiver());
  }

  /** {@link #holdingAtTagZero(CountDownLatch, CountDownLatch)}, recording into {@code recorder}. */
  private static ClusterTransport.Receiver holdingAtTagZero(
      CountDownLatch holding, CountDownLatch release, RecordingReceiver recorder) {
    return (data, offset, length, source) -> {
      NodeId sender = recorder.onFrames(data, offset, length, source);
      List<TestFrame> frames = parse(data, offset, length);
      if (frames != null && frames.get(0).tag() == 0 && holding.getCount() > 0) {
        holding.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return sender;
    };
  }

  @Test
  void sendToAllReachesTheOtherTransportAsSentAndComesBackToTheSender() throws IOException {
    RecordingReceiver a = new RecordingReceiver();
    RecordingReceiver b = new RecordingReceiver();
    UdpMulticastTransport transportA = started(a);
    started(b);
    OutboundFrame frame = control("alpha", "server-a", 1);

    transportA.sendToAll(frame);

    b.awaitTag(1);
    // Documented: IP_MULTICAST_LOOP is on, so the sender receives its own multicast; the node
    // recognises its own id and ignores it.
    a.awaitTag(1);
    Delivery atB = b.deliveries().get(0);
    assertThat(atB.bytes()).isEqualTo(frame.bytes());
    assertThat(atB.source())
        .as("the source is the sender's unicast socket, as a SocketAddress")
        .isEqualTo(transportA.localUnicastAddress());
    assertThat(transportA.stats().sent()).isEqualTo(1);
    assertThat(transportA.stats().datagramsSent()).isEqualTo(1);
  }

  @Test
  void framesQueuedWhileTheIoThreadIsBusyLeaveTogetherInFewDatagramsWholeAndInOrder()
      throws IOException, InterruptedException {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    UdpMulticastTransport transportA = transport(testConfig(groupPort));
    transportA.start(holdingAtTagZero(holding, release));
    RecordingReceiver b = new RecordingReceiver();
    started(b);

    transportA.sendToAll(control("alpha", "server-a", 0)); // comes back to A and holds its thread
    assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
    int frames = 200;
    int frameBytes = 100;
    for (long tag = 1; tag <= frames; tag++) {
      transportA.sendToAll(data("alpha", "server-a", tag, frameBytes));
    }
    release.countDown();
    b.awaitTag(frames);

    assertThat(b.tags().stream().filter(t -> t > 0))
        .containsExactlyElementsOf(LongStream.rangeClosed(1, frames).boxed().toList());
    long perDatagram = UdpMulticastTransport.LOOPBACK_BATCH_BYTES / frameBytes;
    long batches = (frames + perDatagram - 1) / perDatagram;
    // Every delivery is whole frames: each parses, none is cut between datagrams.
    assertThat(b.deliveries())
        .hasSize(1 + (int) batches)
        .allSatisfy(d -> assertThat(d.frames()).as("whole frames").isNotNull());
    assertThat(b.deliveries().get(1).frames()).hasSize((int) perDatagram);
    UdpTransportStats stats = transportA.stats();
    assertThat(stats.sent()).isEqualTo(frames + 1);
    assertThat(stats.datagramsSent())
        .as("%d frames of %d bytes, %d to a datagram", frames, frameBytes, perDatagram)
        .isEqualTo(1 + batches);
  }

  @Test
  void framesForDifferentDestinationsDoNotShareADatagram()
      throws IOException, InterruptedException {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    UdpMulticastTransport transportA = transport(testConfig(groupPort));
    transportA.start(holdingAtTagZero(holding, release));
    RecordingReceiver b = new RecordingReceiver();
    UdpMulticastTransport transportB = started(b);
    transportB.sendToAll(control("alpha", "server-b", 1)); // A learns where server-b is
    await(() -> "A heard B", () -> transportA.stats().datagramsReceived() >= 1);

    transportA.sendToAll(control("alpha", "server-a", 0)); // holds A's thread
    assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
    transportA.sendToAll(data("alpha", "server-a", 10));
    transportA.send(NodeId.of("server-b"), data("alpha", "server-a", 11));
    transportA.sendToAll(data("alpha", "server-a", 12));
    release.countDown();
    b.awaitTag(10);
    b.awaitTag(11);
    b.awaitTag(12);

    // The multicast and the unicast reach B on different sockets, so in either order; but each
    // alone, though they were queued back to back.
    List<Integer> framesPerDatagram = new ArrayList<>();
    for (Delivery delivery : b.deliveries()) {
      List<TestFrame> frames = delivery.frames();
      if (frames != null && frames.get(0).tag() >= 10) {
        framesPerDatagram.add(frames.size());
      }
    }
    assertThat(framesPerDatagram).containsExactly(1, 1, 1);
    assertThat(transportA.stats().datagramsSent()).isEqualTo(4); // the holder and three alone
  }

  @Test
  void aControlFrameQueuedBehindDataLeavesFirst() throws IOException, InterruptedException {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    UdpMulticastTransport transportA = transport(testConfig(groupPort));
    transportA.start(holdingAtTagZero(holding, release));
    RecordingReceiver b = new RecordingReceiver();
    started(b);
    transportA.sendToAll(control("alpha", "server-a", 0)); // comes back to A and holds its thread
    assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
    for (long tag = 1; tag <= 3; tag++) {
      transportA.sendToAll(data("alpha", "server-a", tag));
    }
    transportA.sendToAll(control("alpha", "server-a", 99)); // the control plane
    release.countDown();
    b.awaitTag(3);
    b.awaitTag(99);
    assertThat(b.tags().stream().filter(t -> t > 0)).containsExactly(99L, 1L, 2L, 3L);
  }

  /** A frame that records, when its bytes are taken, on which thread and in which order. */
  private static OutboundFrame recorded(
      OutboundFrame frame, long tag, List<Map.Entry<Long, Thread>> takenBy) {
    return new OutboundFrame() {
      @Override
      public boolean isControl() {
        return frame.isControl();
      }

      @Override
      public String type() {
        return frame.type();
      }

      @Override
      public int size() {
        return frame.size();
      }

      @Override
      public byte[] bytes() {
        takenBy.add(Map.entry(tag, Thread.currentThread()));
        return frame.bytes();
      }
    };
  }

  @Test
  void aFramesBytesAreTakenOnceOnTheIoThreadInWireOrderNotWhenItIsSent()
      throws IOException, InterruptedException {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    UdpMulticastTransport transportA = transport(testConfig(groupPort));
    AtomicReference<Thread> ioThread = new AtomicReference<>();
    ClusterTransport.Receiver holder = holdingAtTagZero(holding, release);
    transportA.start((data, offset, length, source) -> {
      ioThread.compareAndSet(null, Thread.currentThread()); // the receiver runs on A's I/O thread
      return holder.onFrames(data, offset, length, source);
    });
    RecordingReceiver b = new RecordingReceiver();
    started(b);
    transportA.sendToAll(control("alpha", "server-a", 0));
    assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
    List<Map.Entry<Long, Thread>> takenBy = new CopyOnWriteArrayList<>();

    for (long tag = 1; tag <= 3; tag++) {
      transportA.sendToAll(recorded(data("alpha", "server-a", tag), tag, takenBy));
    }
    transportA.sendToAll(recorded(control("alpha", "server-a", 99), 99, takenBy));
    assertThat(takenBy).as("nothing taken on the sending thread").isEmpty();
    release.countDown();
    b.awaitTag(3);
    b.awaitTag(99);

    // With a cluster key the node numbers a frame when its bytes are taken: the control frame
    // that overtook the data is numbered before it, as it is on the wire.
    assertThat(takenBy).extracting(Map.Entry::getKey).containsExactly(99L, 1L, 2L, 3L);
    assertThat(takenBy)
        .extracting(Map.Entry::getValue)
        .as("taken on A's I/O thread")
        .containsOnly(ioThread.get());
  }

  @Test
  void aFrameWhoseBytesDoNotFitADatagramIsDroppedAndCountedAndTheRestStillLeave()
      throws IOException {
    RecordingReceiver b = new RecordingReceiver();
    UdpMulticastTransport transportA = started(new RecordingReceiver());
    started(b);
    OutboundFrame small = data("alpha", "server-a", 1);
    OutboundFrame liar = new OutboundFrame() { // says it is small, is larger than a datagram
          @Override
          public boolean isControl() {
            return false;
          }

          @Override
          public String type() {
            return "Liar";
          }

          @Override
          public int size() {
            return small.size();
          }

          @Override
          public byte[] bytes() {
            return new byte[OutboundFrame.MAX_BYTES + 1];
          }
        };

    transportA.sendToAll(liar);
    transportA.sendToAll(data("alpha", "server-a", 2));

    b.awaitTag(2);
    assertThat(transportA.stats().sendErrors()).isEqualTo(1);
    assertThat(transportA.droppedFrames()).containsEntry("send_error", 1L);
  }

  @Test
  void aReceiverLearnsTheSendersUnicastAddressSoSendReachesOnlyThatMember() throws IOException {
    RecordingReceiver a = new RecordingReceiver();
    RecordingReceiver b = new RecordingReceiver();
    RecordingReceiver c = new RecordingReceiver();
    UdpMulticastTransport transportA = started(a);
    UdpMulticastTransport transportB = started(b);
    started(c);
    transportA.sendToAll(control("alpha", "server-a", 1));
    b.awaitTag(1);

    transportB.send(NodeId.of("server-a"), control("alpha", "server-b", 2));
    a.awaitTag(2);
    // A marker multicast after the unicast: once C and B have it, nothing else is on its way.
    transportB.sendToAll(control("alpha", "server-b", 3));
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
  void aDatagramTheReceiverRefusesTeachesNoAddressAndIsCounted() throws IOException {
    RecordingReceiver b = new RecordingReceiver(frame -> !frame.sender().equals("server-x"));
    UdpMulticastTransport transportB = started(b);
    UdpMulticastTransport transportX = started(new RecordingReceiver());

    transportX.sendToAll(control("alpha", "server-x", 1));
    b.awaitTag(1);
    transportB.send(NodeId.of("server-x"), control("alpha", "server-b", 2));

    await(() -> "the send is dropped", () -> transportB.stats().unknownDestination() == 1);
    assertThat(transportB.stats().rejected()).isEqualTo(1);
    assertThat(transportB.stats().sent()).isZero();
    assertThat(transportB.droppedFrames())
        .as("refusals are the node's to count, not the transport's")
        .containsOnlyKeys(
            "unknown_destination", "outbound_dropped", "send_error", "receiver_failure");
  }

  @Test
  void aRefusedDatagramClaimingAMembersIdDoesNotDivertItsPointToPointTraffic() throws IOException {
    // Two clusters share the group, each with a server1; B's node accepts only alpha's frames,
    // as a node refuses another cluster's (or a forger's).
    RecordingReceiver alpha = new RecordingReceiver();
    RecordingReceiver beta = new RecordingReceiver();
    RecordingReceiver b = new RecordingReceiver(frame -> frame.cluster().equals("alpha"));
    UdpMulticastTransport inAlpha = started(alpha);
    UdpMulticastTransport inBeta = started(beta);
    UdpMulticastTransport transportB = started(b);
    inAlpha.sendToAll(control("alpha", "server1", 1));
    b.awaitTag(1);
    inBeta.sendToAll(control("beta", "server1", 2)); // heard last, but refused
    b.awaitTag(2);

    transportB.send(NodeId.of("server1"), control("alpha", "server-b", 10));

    alpha.awaitTag(10);
    transportB.sendToAll(control("alpha", "server-b", 30)); // a marker after the unicast
    beta.awaitTag(30);
    assertThat(beta.hasTag(10)).isFalse();
    assertThat(transportB.stats().rejected()).isEqualTo(1);
  }

  @Test
  void malformedDatagramsReachTheReceiverAsBytesAndTheTransportCarriesOn() throws IOException {
    RecordingReceiver a = new RecordingReceiver();
    UdpMulticastTransport transportA = started(a);
    DatagramChannel intruder = intruder();
    InetSocketAddress unicast = transportA.localUnicastAddress();
    byte[] valid = frameBytes("alpha", "server-x", 1, 0);

    byte[] randomAfterPrefix = new byte[100];
    new Random(42).nextBytes(randomAfterPrefix);
    byte[] truncated = Arrays.copyOf(valid, valid.length - 3);
    byte[] oversizedPrefix = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1, 2, 3};
    byte[] largestDatagram = new byte[OutboundFrame.MAX_BYTES]; // the receive buffer takes it
    ByteBuffer.wrap(largestDatagram).putInt(OutboundFrame.MAX_BYTES - 4 + 1); // one byte short
    List<byte[]> garbage =
        List.of(randomAfterPrefix, truncated, oversizedPrefix, new byte[0], largestDatagram);
    for (byte[] datagram : garbage) {
      intruder.send(ByteBuffer.wrap(datagram), unicast);
    }
    // Datagrams from one socket to one socket arrive in order on loopback, and the I/O thread
    // hands each on before it reads the next: once the valid frame is in, all the rest are.
    intruder.send(ByteBuffer.wrap(valid), unicast);
    a.awaitTag(1);
    intruder.send(
        ByteBuffer.wrap("not a frame".getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
        groupAddress());
    intruder.send(ByteBuffer.wrap(frameBytes("alpha", "server-x", 2, 0)), groupAddress());
    a.awaitTag(2);

    List<Delivery> deliveries = a.deliveries();
    assertThat(deliveries).hasSize(garbage.size() + 3);
    for (int i = 0; i < garbage.size(); i++) {
      assertThat(deliveries.get(i).bytes())
          .as("garbage %d, whole and as sent", i)
          .isEqualTo(garbage.get(i));
      assertThat(deliveries.get(i).source()).isEqualTo(intruder.getLocalAddress());
    }
    UdpTransportStats stats = transportA.stats();
    assertThat(stats.datagramsReceived()).isEqualTo(garbage.size() + 3);
    assertThat(stats.rejected()).isEqualTo(garbage.size() + 1);
    assertThat(stats.receiveErrors()).isZero();
    assertThat(stats.receiverFailures()).isZero();
  }

  @Test
  void sendToAMemberNeverHeardFromIsDroppedAndCountedWithoutThrowing() throws IOException {
    RecordingReceiver a = new RecordingReceiver();
    UdpMulticastTransport transportA = started(a);

    assertThatCode(() -> transportA.send(NodeId.of("nobody"), control("alpha", "server-a", 1)))
        .doesNotThrowAnyException();

    await(() -> "the drop is counted", () -> transportA.stats().unknownDestination() == 1);
    assertThat(transportA.stats().sent()).isZero();
  }

  @Test
  void sendsBeyondAFullOutboundQueueAreDroppedAndCounted() throws Exception {
    CountDownLatch receiverEntered = new CountDownLatch(1);
    CountDownLatch releaseReceiver = new CountDownLatch(1);
    RecordingReceiver a = new RecordingReceiver();
    UdpMulticastTransport transportA = transport(testConfig(groupPort).maxOutboundQueue(4));
    // Holds the I/O thread so that nothing drains the queue while the test fills it.
    transportA.start(holdingAtTagZero(receiverEntered, releaseReceiver, a));
    intruder()
        .send(
            ByteBuffer.wrap(frameBytes("alpha", "blocker", 0, 0)),
            transportA.localUnicastAddress());
    assertThat(receiverEntered.await(5, TimeUnit.SECONDS)).as("I/O thread held").isTrue();

    for (int i = 1; i <= 10; i++) {
      transportA.sendToAll(data("alpha", "server-a", i));
    }

    assertThat(transportA.stats().droppedOutbound()).isEqualTo(6);
    releaseReceiver.countDown();
    await(() -> "the 4 queued frames are sent", () -> transportA.stats().sent() == 4);
    await(
        () -> "they come back over loopback: " + a.tags(),
        () -> a.tags().stream().filter(t -> t > 0).count() == 4);
    assertThat(transportA.stats().droppedOutbound()).isEqualTo(6);
  }

  @Test
  void aReceiverThatThrowsIsCountedAndTheTransportCarriesOn() throws IOException {
    RecordingReceiver b = new RecordingReceiver();
    UdpMulticastTransport transportA = transport(testConfig(groupPort));
    transportA.start((data, offset, length, source) -> {
      List<TestFrame> frames = parse(data, offset, length);
      if (frames != null && frames.get(0).tag() == 1) {
        throw new IllegalStateException("receiver bug");
      }
      return frames == null ? null : NodeId.of(frames.get(0).sender());
    });
    UdpMulticastTransport transportB = started(b);

    transportB.sendToAll(control("alpha", "server-b", 1));
    await(() -> "the failure is counted", () -> transportA.stats().receiverFailures() == 1);
    transportA.sendToAll(control("alpha", "server-a", 2));

    b.awaitTag(2);
  }

  @Test
  void datagramsQueuedBeforeCloseAreStillSent() throws IOException {
    RecordingReceiver b = new RecordingReceiver();
    UdpMulticastTransport transportA = started(new RecordingReceiver());
    started(b);

    // As MessagingNode does: its Leave is queued, then the transport closed at once.
    transportA.sendToAll(control("alpha", "server-a", 7));
    transportA.close();

    b.awaitTag(7);
  }

  @Test
  void sendsBeforeStartAndAfterCloseAreDroppedAndCounted() throws IOException {
    UdpMulticastTransport transportA = transport(testConfig(groupPort));
    transportA.sendToAll(control("alpha", "server-a", 1));
    transportA.start(new RecordingReceiver());
    transportA.close();
    transportA.close(); // idempotent

    transportA.send(NodeId.of("server-b"), control("alpha", "server-a", 2));

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
    transportA.sendToAll(control("alpha", "server-a", 1));
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
    transportB.sendToAll(control("alpha", "server-b", 1));
    b.awaitTag(1);
  }

  @Test
  void aLoneTransportGivesTheSilenceHintOnce() throws IOException {
    UdpMulticastTransport transportA =
        transport(testConfig(groupPort).silenceHintAfter(java.time.Duration.ofMillis(100)));
    transportA.start(new RecordingReceiver());
    transportA.sendToAll(control("alpha", "server-a", 1)); // its own echo does not count

    await(() -> "the hint is logged", () -> transportA.silenceHintsLogged() == 1);
    transportA.sendToAll(control("alpha", "server-a", 2));
    await(() -> "the echo is back", () -> transportA.stats().datagramsReceived() == 2);
    assertThat(transportA.silenceHintsLogged()).isEqualTo(1);
  }

  @Test
  void aTransportThatHearsAnotherServerGivesNoSilenceHint() throws IOException {
    RecordingReceiver a = new RecordingReceiver();
    UdpMulticastTransport transportA =
        transport(testConfig(groupPort).silenceHintAfter(java.time.Duration.ofSeconds(5)));
    transportA.start(a);
    UdpMulticastTransport transportB = started(new RecordingReceiver());

    transportB.sendToAll(control("alpha", "server-b", 1));
    a.awaitTag(1);
    // Hearing B settles the hint long before its deadline: it can no longer fire.
    await(() -> "the hint is settled", transportA::silenceHintSettled);

    assertThat(transportA.silenceHintsLogged()).isZero();
  }

  @Test
  void aDatagramTheReceiverRefusesIsNotAnotherServerHeard() throws IOException {
    // Another cluster's server, or a forger: the node refuses its frames, so it is no sign that
    // multicast works for this cluster.
    RecordingReceiver a = new RecordingReceiver(frame -> !frame.sender().equals("server-b"));
    UdpMulticastTransport transportA =
        transport(testConfig(groupPort).silenceHintAfter(java.time.Duration.ofMillis(300)));
    transportA.start(a);
    UdpMulticastTransport transportB = started(new RecordingReceiver());

    transportB.sendToAll(control("alpha", "server-b", 1));
    a.awaitTag(1);

    await(() -> "the hint is logged", () -> transportA.silenceHintsLogged() == 1);
  }
}
