package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterCodec;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.protocol.ClusterMessage;
import io.github.ringleader.messaging.protocol.FrameAuthenticator;
import io.github.ringleader.messaging.protocol.Heartbeat;
import io.github.ringleader.messaging.protocol.LeaderAnnouncement;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.AuthFailure;
import io.github.ringleader.messaging.transport.ClusterKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * A cluster with a key, in virtual time: forged, tampered and replayed frames change nothing, a
 * server without the key cannot join, and the key can be rotated without downtime.
 */
class AuthenticatedClusterScenariosTest {
  private static final ClusterKey KEY = ClusterKey.of(filled(1));
  private static final byte[] KEY_A = filled(1);
  private static final byte[] KEY_B = filled(2);

  private final SimulatedCluster cluster = SimulatedCluster.builder()
      .seed(12)
      .linkConditions(
          LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(5)))
      .configure((id, node) -> node.heartbeatInterval(Duration.ofMillis(200)))
      .build();

  private static byte[] filled(int value) {
    byte[] key = new byte[ClusterKey.KEY_BYTES];
    Arrays.fill(key, (byte) value);
    return key;
  }

  private void startKeyedCluster() {
    cluster.setClusterKey(KEY);
    cluster.startAll("server1", "server2", "server3");
    assertThat(cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10)))
        .isTrue();
  }

  private List<String> members(String id) {
    return cluster.node(id).view().members().stream().map(m -> m.id().value()).toList();
  }

  @Test
  void forgedAndTamperedFramesChangeNothing() {
    startKeyedCluster();
    SimulatedClient alice = cluster.connect("alice", "server1");
    SimulatedClient bob = cluster.connect("bob", "server2");
    cluster.runFor(Duration.ofSeconds(1));
    NodeId leader = cluster.agreedLeader().orElseThrow();
    MessagingNode node1 = cluster.node("server1");
    long term = node1.view().term();

    // A leader claim in a far later term, and a heartbeat of a server "server99" that would be
    // the highest id: plain, under a wrong key, and a genuine frame with one byte changed.
    ClusterMessage claim = new LeaderAnnouncement(term + 5);
    ClusterMessage intruder = new Heartbeat(0, 7000, NodeId.of("server99"), term + 5, 0, 100);
    byte[] claimPlain = ClusterCodec.encode(envelope("server1", node1.incarnation(), claim));
    byte[] intruderPlain = ClusterCodec.encode(envelope("server99", 1, intruder));
    FrameAuthenticator wrongKey = new FrameAuthenticator(ClusterKey.of(filled(9)));
    byte[] genuine = new FrameAuthenticator(KEY).seal(intruderPlain);
    byte[] tampered = genuine.clone();
    tampered[tampered.length - 20] ^= 1; // in the body, before the MAC
    List<byte[]> forged = List.of(
        claimPlain,
        intruderPlain,
        wrongKey.seal(claimPlain),
        wrongKey.seal(intruderPlain),
        tampered);
    for (byte[] datagram : forged) {
      for (String to : List.of("server1", "server2", "server3")) {
        assertThat(cluster.network().inject(NodeId.of(to), datagram)).isFalse();
      }
    }
    cluster.runFor(Duration.ofSeconds(2));

    assertThat(refused(AuthFailure.NO_MAC)).isEqualTo(6);
    assertThat(refused(AuthFailure.BAD_MAC)).isEqualTo(9);
    assertThat(cluster.agreedLeader()).contains(leader);
    for (MessagingNode node : cluster.nodes()) {
      assertThat(node.view().term()).isEqualTo(term);
      assertThat(members(node.id().value())).containsExactly("server1", "server2", "server3");
    }
    alice.session().send(null, "still here");
    cluster.runFor(Duration.ofSeconds(1));
    assertThat(bob.messages()).extracting(ServerEvent.Message::text).containsExactly("still here");
  }

  @Test
  void replayedFramesAreRefusedAndChangeNothing() {
    List<SimulatedNetwork.Sent> heard = new ArrayList<>();
    cluster.network().setTap(heard::add);
    startKeyedCluster();
    SimulatedClient alice = cluster.connect("alice", "server1");
    SimulatedClient bob = cluster.connect("bob", "server2");
    cluster.runFor(Duration.ofSeconds(1));
    alice.session().send(null, "once");
    cluster.runFor(Duration.ofSeconds(1));
    assertThat(bob.messages()).extracting(ServerEvent.Message::text).containsExactly("once");
    cluster.stop("server3"); // its Leave is among what was heard
    cluster.runFor(Duration.ofSeconds(1));
    NodeId leader = cluster.agreedLeader().orElseThrow();
    cluster.network().setTap(null);

    int replayed = 0;
    // Each datagram again to the live server that accepted it.
    for (SimulatedNetwork.Sent sent : heard) {
      if (!sent.to().value().equals("server3")) {
        assertThat(cluster.network().inject(sent.to(), sent.datagram())).isFalse();
        replayed++;
      }
    }
    assertThat(replayed).isGreaterThan(20);
    cluster.runFor(Duration.ofSeconds(2));

    assertThat(refused(AuthFailure.REPLAYED)).isEqualTo(replayed);
    assertThat(cluster.agreedLeader()).contains(leader);
    assertThat(members("server1")).containsExactly("server1", "server2");
    assertThat(bob.messages()).extracting(ServerEvent.Message::text).containsExactly("once");
  }

  @Test
  void aServerWithoutTheKeyOrWithAnotherCannotJoin() {
    startKeyedCluster();
    NodeId leader = cluster.agreedLeader().orElseThrow();

    cluster.setClusterKey(null);
    cluster.start("server8"); // higher ids than all: it would lead if it joined
    cluster.setClusterKey(ClusterKey.of(filled(9)));
    cluster.start("server9");
    cluster.runFor(Duration.ofSeconds(5));

    for (String id : List.of("server1", "server2", "server3")) {
      assertThat(members(id)).as("view of %s", id).containsExactly("server1", "server2", "server3");
      assertThat(cluster.node(id).view().leader()).isEqualTo(leader);
    }
    assertThat(refused(AuthFailure.NO_MAC)).isPositive();
    assertThat(refused(AuthFailure.BAD_MAC)).isPositive();
  }

  @Test
  void theKeyRotatesServerByServerWithoutLosingTheCluster() {
    cluster.setClusterKey(ClusterKey.of(KEY_A));
    cluster.startAll("server1", "server2", "server3");
    assertThat(cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10)))
        .isTrue();
    SimulatedClient alice = cluster.connect("alice", "server1");
    SimulatedClient bob = cluster.connect("bob", "server2");
    cluster.runFor(Duration.ofSeconds(1));

    // 1: everyone also accepts B; 2: everyone signs with B, still accepting A; 3: B alone.
    List<ClusterKey> steps =
        List.of(ClusterKey.of(KEY_A, KEY_B), ClusterKey.of(KEY_B, KEY_A), ClusterKey.of(KEY_B));
    int sent = 0;
    long badMacInEarlierLives = 0;
    for (ClusterKey step : steps) {
      cluster.setClusterKey(step);
      for (String id : List.of("server3", "server2", "server1")) {
        badMacInEarlierLives +=
            cluster.node(id).metrics().authenticationFailures().getOrDefault("bad_mac", 0L);
        cluster.stop(id);
        cluster.restart(id);
        assertThat(cluster.runUntil(
                () -> cluster.hasSingleAgreedLeader()
                    && cluster.nodes().stream().allMatch(n -> n.view().members().size() == 3),
                Duration.ofSeconds(20)))
            .as("after restarting %s", id)
            .isTrue();
      }
      if (!alice.isConnected()) {
        alice = cluster.connect("alice" + sent, "server1");
      }
      if (!bob.isConnected()) {
        bob = cluster.connect("bob" + sent, "server2");
      }
      cluster.runFor(Duration.ofSeconds(1));
      alice.session().send(null, "step " + sent);
      cluster.runFor(Duration.ofSeconds(1));
      assertThat(bob.messages()).extracting(ServerEvent.Message::text).contains("step " + sent);
      sent++;
    }
    assertThat(badMacInEarlierLives + refused(AuthFailure.BAD_MAC))
        .as("frames refused by their tag, in every life of every server")
        .isZero();
  }

  /** Frames refused for {@code reason} by the running servers, as their metrics count them. */
  private long refused(AuthFailure reason) {
    String key = reason.name().toLowerCase(Locale.ROOT);
    return cluster.nodes().stream()
        .mapToLong(n -> n.metrics().authenticationFailures().getOrDefault(key, 0L))
        .sum();
  }

  private ClusterEnvelope envelope(String sender, long incarnation, ClusterMessage message) {
    return new ClusterEnvelope(
        cluster.node("server1").config().clusterName(), NodeId.of(sender), incarnation, message);
  }
}
