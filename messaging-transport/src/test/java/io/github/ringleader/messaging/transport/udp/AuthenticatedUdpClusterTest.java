package io.github.ringleader.messaging.transport.udp;

import static io.github.ringleader.messaging.transport.udp.UdpServers.CLUSTER;
import static io.github.ringleader.messaging.transport.udp.UdpServers.awaitMembers;
import static io.github.ringleader.messaging.transport.udp.UdpServers.key;
import static io.github.ringleader.messaging.transport.udp.UdpServers.plain;
import static io.github.ringleader.messaging.transport.udp.UdpServers.receive;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.await;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.freeUdpPort;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.testConfig;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.AuthenticationException;
import io.github.ringleader.messaging.protocol.ClusterCodec;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.Discover;
import io.github.ringleader.messaging.protocol.ElectionAck;
import io.github.ringleader.messaging.protocol.FrameAuthenticator;
import io.github.ringleader.messaging.protocol.Heartbeat;
import io.github.ringleader.messaging.protocol.StreamAck;
import io.github.ringleader.messaging.server.MessagingServer;
import io.github.ringleader.messaging.transport.AuthFailure;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.CodecException;
import io.github.ringleader.messaging.transport.OutboundFrame;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Servers over real UDP on loopback with a cluster key ({@code MessagingNode.Builder.clusterKey}):
 * the node seals what the transport carries and refuses forgeries and replays, counted in its
 * metrics; a server without the key neither reaches a keyed one nor hears it.
 */
class AuthenticatedUdpClusterTest {
  private static final ClusterKey KEY = key(1);

  private UdpServers servers;
  private int groupPort;

  @BeforeEach
  void pickPort() throws Exception {
    groupPort = freeUdpPort();
    servers = new UdpServers(groupPort);
  }

  @AfterEach
  void closeEverything() throws Exception {
    servers.close();
  }

  private static long authFailures(MessagingServer server, String reason) {
    return server.metrics().authenticationFailures().getOrDefault(reason, 0L);
  }

  @Test
  void keyedServersFormAClusterAndForgedTamperedOrReplayedDatagramsAreRefusedAndCounted()
      throws Exception {
    MessagingServer server1 = servers.started("server1", KEY);
    MessagingServer server2 = servers.started("server2", KEY);
    awaitMembers(List.of(server1, server2), "server1", "server2");
    DatagramChannel intruder = servers.intruder();

    // Forgeries claim to be server1 of this cluster; what a key holder really sent is of
    // another cluster, so that each one accepted shows in foreignClusterMessages.
    byte[] plain = plain(CLUSTER, "server1", new ElectionAck(1, 2));
    byte[] wrongKey =
        new FrameAuthenticator(key(9)).seal(plain(CLUSTER, "server1", new ElectionAck(1, 3)));
    FrameAuthenticator insider = new FrameAuthenticator(KEY); // a key holder's traffic, recorded
    byte[] genuine = insider.seal(plain("beta", "server-x", new ElectionAck(1, 10)));
    byte[] tampered = insider.seal(plain(CLUSTER, "server1", new ElectionAck(1, 4)));
    tampered[tampered.length - 17] ^= 1; // the last byte of the body
    byte[] sentinel = insider.seal(plain("beta", "server-x", new ElectionAck(1, 5)));
    long rejectedBefore = server2.clusterStats().rejected();

    for (byte[] datagram :
        List.of(plain, wrongKey, genuine, tampered, genuine, genuine, sentinel)) {
      servers.toGroup(intruder, datagram);
    }
    // One socket to one socket on loopback arrives in order: once the sentinel is in, all are.
    for (MessagingServer server : List.of(server1, server2)) {
      await(
          () -> server.node().id() + " took both genuine frames: "
              + server.node().foreignClusterMessages(),
          () -> server.node().foreignClusterMessages() == 2);
    }

    for (MessagingServer server : List.of(server1, server2)) {
      assertThat(authFailures(server, "no_mac")).as("plain").isEqualTo(1);
      assertThat(authFailures(server, "bad_mac")).as("wrong key, tampered").isEqualTo(2);
      assertThat(authFailures(server, "replayed")).as("genuine, twice more").isEqualTo(2);
    }
    assertThat(server2.clusterStats().rejected())
        .as("every one refused, and the other cluster's too")
        .isEqualTo(rejectedBefore + 7);
    assertThat(server2.node().view().members()).hasSize(2);
  }

  @Test
  void aForgedDiscoverGetsNoAnswerAndTeachesNoAddress() throws Exception {
    MessagingServer server1 = servers.started("server1", KEY);
    awaitMembers(List.of(server1), "server1");
    DatagramChannel intruder = servers.intruder();
    FrameAuthenticator member = new FrameAuthenticator(KEY);
    FrameAuthenticator reader = new FrameAuthenticator(KEY);

    // A running node answers a Discover with a heartbeat to where the Discover came from.
    servers.toGroup(intruder, plain(CLUSTER, "server-x", new Discover())); // refused: no tag
    servers.toGroup(intruder, member.seal(plain(CLUSTER, "server-x", new Discover())));
    ClusterEnvelope first = opened(reader, receive(intruder));
    servers.toGroup(intruder, member.seal(plain(CLUSTER, "server-x", new Discover())));
    ClusterEnvelope second = opened(reader, receive(intruder));

    // Had the plain one been taken, its answer would have come first; the two there are answer
    // the two sealed ones, and nothing else came.
    assertThat(List.of(first, second))
        .allSatisfy(e -> assertThat(e.message()).isInstanceOf(Heartbeat.class))
        .allSatisfy(e -> assertThat(e.sender()).isEqualTo(NodeId.of("server1")));
    assertThat(intruder.receive(java.nio.ByteBuffer.allocate(ClusterCodec.MAX_FRAME_BYTES)))
        .isNull();
    assertThat(authFailures(server1, "no_mac")).isEqualTo(1);
  }

  private static ClusterEnvelope opened(FrameAuthenticator reader, byte[] datagram)
      throws Exception {
    List<ClusterEnvelope> frames = new ArrayList<>();
    reader.openAll(datagram, 0, datagram.length, frames);
    assertThat(frames).hasSize(1);
    return frames.get(0);
  }

  @Test
  void aServerWithoutTheKeyNeitherReachesAKeyedOneNorHearsIt() throws Exception {
    MessagingServer keyed = servers.started("server1", KEY);
    MessagingServer open = servers.started("server2", null);

    await(
        () -> "the keyed server refused a plain datagram",
        () -> authFailures(keyed, "no_mac") >= 1);
    await(
        () -> "the keyless server dropped a sealed datagram as malformed",
        () -> open.metrics().framesDropped().getOrDefault("malformed_bad_magic", 0L) >= 1);

    assertThat(keyed.node().view().members())
        .extracting(m -> m.id().value())
        .containsOnly("server1");
    assertThat(open.node().view().members())
        .extracting(m -> m.id().value())
        .containsOnly("server2");
    assertThat(open.metrics().authenticationFailures())
        .as("no key, no key check")
        .isEmpty();
  }

  /**
   * A frame sealed when the transport first takes its bytes, as the node's frames are: the
   * transport's part of keeping the frame sequence numbers in wire order.
   */
  private static OutboundFrame sealedLazily(
      FrameAuthenticator sealer, boolean control, byte[] plain) {
    return new OutboundFrame() {
      private byte @Nullable [] sealed;

      @Override
      public boolean isControl() {
        return control;
      }

      @Override
      public String type() {
        return control ? "ElectionAck" : "StreamAck";
      }

      @Override
      public int size() {
        return plain.length + FrameAuthenticator.OVERHEAD_BYTES;
      }

      @Override
      public synchronized byte[] bytes() {
        byte[] done = sealed;
        if (done == null) {
          done = sealer.seal(plain);
          sealed = done;
        }
        return done;
      }
    };
  }

  @Test
  void aControlFrameOvertakingALongQueueOfDataDoesNotGetTheDataRefusedAsReplayed()
      throws Exception {
    // Transports with receivers that open as a node does: A's holds A's I/O thread at the first
    // frame it hears (its own), so that a long queue of data builds up behind a control frame.
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    UdpMulticastTransport transportA =
        new UdpMulticastTransport(testConfig(groupPort).build());
    transportA.start((data, offset, length, source) -> {
      if (holding.getCount() > 0) {
        holding.countDown();
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return null;
    });
    FrameAuthenticator opener = new FrameAuthenticator(KEY);
    List<ClusterEnvelope> opened = new CopyOnWriteArrayList<>();
    Map<AuthFailure, Long> refused = new java.util.concurrent.ConcurrentHashMap<>();
    // Released, A sends the whole queue at once: ~17 datagrams of 16 KiB, more than a default
    // socket buffer (208 KiB on Linux) holds if B's thread is slow to drain it, and UDP drops
    // what does not fit. What this test is about is the replay window, not the kernel's buffer.
    UdpMulticastTransport transportB = new UdpMulticastTransport(
        testConfig(groupPort).receiveBufferBytes(4 << 20).build());
    transportB.start((data, offset, length, source) -> {
      List<ClusterEnvelope> frames = new ArrayList<>();
      try {
        opener.openAll(data, offset, length, frames);
      } catch (AuthenticationException e) {
        refused.merge(e.reason(), 1L, Long::sum);
        return null;
      } catch (CodecException e) {
        return null;
      }
      opened.addAll(frames);
      return frames.get(0).sender();
    });
    try {
      FrameAuthenticator sealer = new FrameAuthenticator(KEY);
      transportA.sendToAll(
          sealedLazily(sealer, true, plain(CLUSTER, "server-a", new ElectionAck(1, 0))));
      assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
      int data = 3 * 1024; // more than the receivers' replay window
      for (long tag = 1; tag <= data; tag++) {
        transportA.sendToAll(
            sealedLazily(sealer, false, plain(CLUSTER, "server-a", new StreamAck(tag, 0, 0))));
      }
      transportA.sendToAll(sealedLazily(
          sealer, true, plain(CLUSTER, "server-a", new ElectionAck(1, 100_000)))); // leaves first
      release.countDown();
      await(
          () -> "all " + (data + 2) + " frames are opened; " + opened.size() + " so far, refused "
              + refused,
          () -> opened.size() == data + 2);

      assertThat(refused.getOrDefault(AuthFailure.REPLAYED, 0L)).isZero();
      assertThat(opened.get(1).message()).isEqualTo(new ElectionAck(1, 100_000));
    } finally {
      release.countDown();
      transportA.close();
      transportB.close();
    }
  }
}
