package io.github.ringleader.messaging.transport.udp;

import static io.github.ringleader.messaging.transport.udp.UdpServers.CLUSTER;
import static io.github.ringleader.messaging.transport.udp.UdpServers.awaitMembers;
import static io.github.ringleader.messaging.transport.udp.UdpServers.plain;
import static io.github.ringleader.messaging.transport.udp.UdpServers.receive;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.await;
import static io.github.ringleader.messaging.transport.udp.UdpTestSupport.freeUdpPort;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterCodec;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.Discover;
import io.github.ringleader.messaging.protocol.ElectionAck;
import io.github.ringleader.messaging.protocol.Heartbeat;
import io.github.ringleader.messaging.server.MessagingServer;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real server over UDP on loopback (no cluster key) and a stranger's socket: what the node makes
 * of the datagrams its transport hands it as they came — malformed ones dropped and counted by
 * reason, good ones acted on, and answered at the address they came from.
 */
class UdpClusterFramesTest {
  private UdpServers servers;

  @BeforeEach
  void start() throws Exception {
    servers = new UdpServers(freeUdpPort());
  }

  @AfterEach
  void closeEverything() throws Exception {
    servers.close();
  }

  private static long dropped(MessagingServer server, String reason) {
    Map<String, Long> dropped = server.metrics().framesDropped();
    assertThat(dropped).containsKey(reason);
    return dropped.getOrDefault(reason, -1L);
  }

  @Test
  void malformedDatagramsAreDroppedByTheNodeCountedByReasonAndGoodOnesStillArrive()
      throws Exception {
    MessagingServer server = servers.started("server1", null);
    awaitMembers(List.of(server), "server1");
    DatagramChannel intruder = servers.intruder();
    byte[] valid = plain(CLUSTER, "server-x", new ElectionAck(1, 1));

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
    byte[] notAFrame = "not a frame".getBytes(StandardCharsets.US_ASCII); // announces ~1.8 GB
    List<byte[]> garbage = List.of(
        randomAfterPrefix,
        truncated,
        oversizedPrefix,
        wrongVersion,
        trailingByte,
        new byte[0],
        largestDatagram,
        notAFrame);
    long rejectedBefore = server.clusterStats().rejected();
    for (byte[] datagram : garbage) {
      servers.toGroup(intruder, datagram);
    }
    // One socket to one socket on loopback arrives in order, and each datagram is opened before
    // the next is read: once this good frame of another cluster is counted, every drop is.
    servers.toGroup(intruder, plain("beta", "server-x", new ElectionAck(1, 2)));
    await(
        () -> "the good frame after the garbage arrives",
        () -> server.node().foreignClusterMessages() == 1);

    assertThat(dropped(server, "malformed_bad_magic")).isEqualTo(2);
    assertThat(dropped(server, "malformed_truncated")).isEqualTo(2);
    assertThat(dropped(server, "malformed_oversized")).isEqualTo(2);
    assertThat(dropped(server, "malformed_unsupported_version")).isEqualTo(1);
    assertThat(dropped(server, "malformed_length_mismatch")).isEqualTo(1);
    assertThat(server.clusterStats().rejected())
        .as("the garbage, and the frame of another cluster")
        .isEqualTo(rejectedBefore + garbage.size() + 1);
    assertThat(server.clusterStats().receiveErrors()).isZero();
    assertThat(server.node().view().members()).hasSize(1);
  }

  @Test
  void aNodeAnswersADiscoverAtTheAddressItCameFromWhichTheTransportLearnedFromTheNode()
      throws Exception {
    MessagingServer server = servers.started("server1", null);
    awaitMembers(List.of(server), "server1");
    DatagramChannel intruder = servers.intruder();

    // To the group: server1's transport has never heard of server-x, and learns where it is only
    // from the node taking the Discover; its answer goes there point to point.
    servers.toGroup(intruder, plain(CLUSTER, "server-x", new Discover()));
    byte[] answer = receive(intruder);

    ClusterEnvelope envelope = ClusterCodec.decode(answer);
    assertThat(envelope.sender()).isEqualTo(NodeId.of("server1"));
    assertThat(envelope.message()).isInstanceOf(Heartbeat.class);
    assertThat(server.clusterStats().unknownDestination()).isZero();
  }
}
