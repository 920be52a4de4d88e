package io.github.ringleader.messaging.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import io.github.ringleader.messaging.protocol.IdChars;
import io.github.ringleader.messaging.sim.SimulatedNetwork;
import io.github.ringleader.messaging.sim.VirtualTimeScheduler;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link NodeConfig} and {@link MessagingNode.Builder}: the defaults, the timings derived from the
 * heartbeat interval, and a message naming the setting and the bad value for each invalid one.
 * Nodes are built on a virtual-time loop and a simulated network, so nothing starts a thread.
 */
class NodeConfigTest {

  private final VirtualTimeScheduler scheduler = new VirtualTimeScheduler();
  private final SimulatedNetwork network = new SimulatedNetwork(scheduler, 1);

  private MessagingNode.Builder complete() {
    return MessagingNode.builder()
        .nodeId("server1")
        .transport(network.transport(NodeId.of("server1")))
        .eventLoop(scheduler.newLoop("server1"));
  }

  // ------------------------------------------------------------------ defaults

  @Test
  void defaultsAreTheUsageGuidesTimingsAndSafeBounds() {
    NodeConfig config = MessagingNode.builder().nodeId("server1").config();

    assertThat(config.nodeId()).isEqualTo(NodeId.of("server1"));
    assertThat(config.clusterName()).isEqualTo("ringleader");
    assertThat(config.clientPort()).isZero();
    assertThat(config.capacity()).isEqualTo(100);
    assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(config.missedHeartbeats()).isEqualTo(3);
    assertThat(config.failureTimeout()).isEqualTo(Duration.ofSeconds(6));
    assertThat(config.discoveryWindow()).isEqualTo(Duration.ofSeconds(1));
    assertThat(config.electionAckTimeout()).isEqualTo(Duration.ofMillis(200));
    assertThat(config.electionAttempts()).isEqualTo(5);
    assertThat(config.electionTimeout()).isEqualTo(Duration.ofSeconds(4));
    assertThat(config.maxMembers()).isEqualTo(256);
  }

  @Test
  void unsetTimingsAreDerivedFromTheHeartbeatInterval() {
    NodeConfig config = MessagingNode.builder()
        .nodeId("server1")
        .heartbeatInterval(Duration.ofMillis(500))
        .config();

    assertThat(config.discoveryWindow()).as("interval / 2").isEqualTo(Duration.ofMillis(250));
    assertThat(config.electionAckTimeout()).as("interval / 10").isEqualTo(Duration.ofMillis(50));
    assertThat(config.electionTimeout()).as("2 × interval").isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void timingsSetExplicitlyWinOverTheDerivedOnes() {
    NodeConfig config = MessagingNode.builder()
        .nodeId("server1")
        .heartbeatInterval(Duration.ofMillis(500))
        .discoveryWindow(Duration.ofSeconds(3))
        .electionAckTimeout(Duration.ofMillis(7))
        .electionTimeout(Duration.ofSeconds(9))
        .config();

    assertThat(config.discoveryWindow()).isEqualTo(Duration.ofSeconds(3));
    assertThat(config.electionAckTimeout()).isEqualTo(Duration.ofMillis(7));
    assertThat(config.electionTimeout()).isEqualTo(Duration.ofSeconds(9));
  }

  @Test
  void failureTimeoutIsMissedHeartbeatsTimesTheInterval() {
    NodeConfig config = MessagingNode.builder()
        .nodeId("server1")
        .heartbeatInterval(Duration.ofMillis(300))
        .missedHeartbeats(5)
        .config();

    assertThat(config.failureTimeout()).isEqualTo(Duration.ofMillis(1500));
  }

  @Test
  void zeroDiscoveryWindowAndZeroCapacityAndPortsAtTheEdgesAreAccepted() {
    NodeConfig config = MessagingNode.builder()
        .nodeId("server1")
        .discoveryWindow(Duration.ZERO)
        .capacity(0)
        .clientPort(65535)
        .missedHeartbeats(1)
        .electionAttempts(1)
        .maxMembers(1)
        .config();

    assertThat(config.discoveryWindow()).isZero();
    assertThat(config.capacity()).isZero();
    assertThat(config.clientPort()).isEqualTo(65535);
  }

  @Test
  void builtNodeRunsWithTheValidatedSettingsAndIsNotStarted() {
    MessagingNode.Builder builder = complete().clusterName("prod-eu.1").clientPort(5001);

    MessagingNode node = builder.build();

    assertThat(node.config()).isEqualTo(builder.config());
    assertThat(node.id()).isEqualTo(NodeId.of("server1"));
    assertThat(node.state()).isEqualTo(NodeState.NEW);
    assertThat(node.incarnation()).isZero();
  }

  // ------------------------------------------------------------------ invalid settings

  static Stream<Arguments> invalidSettings() {
    return Stream.of(
        invalid(b -> b.heartbeatInterval(Duration.ZERO), "heartbeatInterval must be > 0, was 0s"),
        invalid(
            b -> b.heartbeatInterval(Duration.ofSeconds(-1)),
            "heartbeatInterval must be > 0, was -1s"),
        invalid(b -> b.missedHeartbeats(0), "missedHeartbeats must be >= 1, was 0"),
        invalid(b -> b.missedHeartbeats(65_536), "missedHeartbeats must be <= 65535, was 65536"),
        invalid(b -> b.capacity(-1), "capacity must be >= 0, was -1"),
        invalid(b -> b.clientPort(70000), "clientPort must be in 0..65535, was 70000"),
        invalid(b -> b.clientPort(-1), "clientPort must be in 0..65535, was -1"),
        invalid(
            b -> b.discoveryWindow(Duration.ofMillis(-1)),
            "discoveryWindow must be >= 0, was -1ms"),
        invalid(b -> b.electionAckTimeout(Duration.ZERO), "electionAckTimeout must be > 0, was 0s"),
        invalid(
            b -> b.electionAckTimeout(Duration.ofMillis(-5)),
            "electionAckTimeout must be > 0, was -5ms"),
        invalid(b -> b.electionAttempts(0), "electionAttempts must be >= 1, was 0"),
        invalid(b -> b.electionTimeout(Duration.ZERO), "electionTimeout must be > 0, was 0s"),
        invalid(
            b -> b.electionTimeout(Duration.ofSeconds(-4)), "electionTimeout must be > 0, was -4s"),
        invalid(b -> b.maxMembers(0), "maxMembers must be >= 1, was 0"),
        invalid(
            b -> b.clientHost("my host"),
            "clientHost has invalid character U+0020 at index 2: 'my host'"),
        invalid(
            b -> b.clientHost("h".repeat(254)),
            "clientHost is 254 characters, limit is 253: '" + "h".repeat(254) + "'"),
        invalid(
            b -> b.clusterName("my cluster"),
            "cluster name must be 1 to 64 characters of " + IdChars.ALLOWED + ", was"
                + " \"my cluster\""),
        invalid(
            b -> b.clusterName(""),
            "cluster name must be 1 to 64 characters of " + IdChars.ALLOWED + ", was" + " \"\""),
        invalid(
            b -> b.clusterName("c".repeat(65)),
            "cluster name must be 1 to 64 characters of " + IdChars.ALLOWED + ", was" + " \""
                + "c".repeat(65) + "\""));
  }

  private static Arguments invalid(Consumer<MessagingNode.Builder> setting, String message) {
    return Arguments.of(message, setting);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidSettings")
  void invalidSettingIsRejectedNamingTheSettingAndTheBadValue(
      String message, Consumer<MessagingNode.Builder> setting) {
    MessagingNode.Builder builder = complete();
    setting.accept(builder);

    assertThatIllegalArgumentException().isThrownBy(builder::config).withMessage(message);
    assertThatIllegalArgumentException().isThrownBy(builder::build).withMessage(message);
  }

  @Test
  void nodeIdWithABadCharacterIsRejectedAtBuildNamingTheCharacterAndTheId() {
    MessagingNode.Builder builder = complete().nodeId("server 1");

    assertThatIllegalArgumentException()
        .isThrownBy(builder::build)
        .withMessage("node id may only contain " + IdChars.ALLOWED + "; found ' ' at position 7 in"
            + " \"server 1\"");
  }

  @Test
  void emptyOrOverlongNodeIdIsRejectedAtBuild() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> NodeConfig.builder().nodeId("").build())
        .withMessage("node id must not be empty");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> NodeConfig.builder().nodeId("s".repeat(65)).build())
        .withMessage("node id must be at most 64 characters, was 65");
  }

  @SuppressWarnings("NullAway") // passing null is what is tested
  static Stream<Arguments> nullSettings() {
    return Stream.of(
        Arguments.of("nodeId", (Consumer<MessagingNode.Builder>) b -> b.nodeId((String) null)),
        Arguments.of("clusterName", (Consumer<MessagingNode.Builder>) b -> b.clusterName(null)),
        Arguments.of(
            "heartbeatInterval", (Consumer<MessagingNode.Builder>) b -> b.heartbeatInterval(null)),
        Arguments.of(
            "discoveryWindow", (Consumer<MessagingNode.Builder>) b -> b.discoveryWindow(null)),
        Arguments.of("electionAckTimeout", (Consumer<MessagingNode.Builder>)
            b -> b.electionAckTimeout(null)),
        Arguments.of(
            "electionTimeout", (Consumer<MessagingNode.Builder>) b -> b.electionTimeout(null)),
        Arguments.of("clientHost", (Consumer<MessagingNode.Builder>) b -> b.clientHost(null)),
        Arguments.of("sessionGrace", (Consumer<MessagingNode.Builder>) b -> b.sessionGrace(null)),
        Arguments.of("transport", (Consumer<MessagingNode.Builder>) b -> b.transport(null)),
        Arguments.of("eventLoop", (Consumer<MessagingNode.Builder>) b -> b.eventLoop(null)),
        Arguments.of("config", (Consumer<MessagingNode.Builder>) b -> b.config(null)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nullSettings")
  void nullIsRejectedAtOnceByEverySetterNamingTheSetting(
      String setting, Consumer<MessagingNode.Builder> setNull) {
    MessagingNode.Builder builder = complete();

    assertThatNullPointerException().isThrownBy(() -> setNull.accept(builder)).withMessage(setting);
  }

  @Test
  void nodeConfigBuilderHasTheSameDefaultsAsTheNodeBuilder() {
    assertThat(NodeConfig.builder().nodeId("server1").build())
        .isEqualTo(MessagingNode.builder().nodeId("server1").config());
  }

  @Test
  void aConfigGoesIntoANodeBuilderWholeAndComesBackEqual() {
    NodeConfig config = NodeConfig.builder()
        .nodeId("server7")
        .clusterName("eu")
        .clientPort(5001)
        .capacity(3)
        .heartbeatInterval(Duration.ofMillis(300))
        .missedHeartbeats(4)
        .discoveryWindow(Duration.ZERO)
        .electionAckTimeout(Duration.ofMillis(20))
        .electionAttempts(2)
        .electionTimeout(Duration.ofSeconds(1))
        .maxMembers(9)
        .clientHost("h.example")
        .sessionGrace(Duration.ofSeconds(5))
        .rebalance(false)
        .build();

    assertThat(complete().config(config).build().config()).isEqualTo(config);
    assertThat(config.toBuilder().build()).isEqualTo(config).hasSameHashCodeAs(config);
    assertThat(config.toBuilder().capacity(4).build()).isNotEqualTo(config);
    assertThat(config.toString()).contains("nodeId=server7", "heartbeatInterval=300ms");
  }

  @Test
  void missingNodeIdIsReported() {
    MessagingNode.Builder builder =
        MessagingNode.builder().transport(network.transport(NodeId.of("server1")));

    assertThatIllegalStateException().isThrownBy(builder::config).withMessage("nodeId is required");
    assertThatIllegalStateException().isThrownBy(builder::build).withMessage("nodeId is required");
  }

  @Test
  void missingTransportIsReported() {
    MessagingNode.Builder builder = MessagingNode.builder().nodeId("server1");

    assertThatIllegalStateException()
        .isThrownBy(builder::build)
        .withMessage("transport is required");
  }

  @Test
  void negativeIncarnationIsRejectedAtBuildNamingTheValue() {
    MessagingNode.Builder builder = complete().incarnation(-1);

    assertThatIllegalArgumentException()
        .isThrownBy(builder::build)
        .withMessage("incarnation must be >= 0, was -1");
  }

  @Test
  void configBuiltDirectlyIsValidatedTheSameWay() {
    NodeConfig.Builder builder =
        NodeConfig.builder().nodeId("server1").heartbeatInterval(Duration.ZERO);

    assertThatIllegalArgumentException()
        .isThrownBy(builder::build)
        .withMessage("heartbeatInterval must be > 0, was 0s");
    assertThatIllegalStateException()
        .isThrownBy(() -> NodeConfig.builder().build())
        .withMessage("nodeId is required");
  }

  @Test
  void durationsAreFormattedAsACommandLineTakesThemNeverAsIso8601() {
    assertThat(NodeConfig.format(Duration.ZERO)).isEqualTo("0s");
    assertThat(NodeConfig.format(Duration.ofSeconds(5))).isEqualTo("5s");
    assertThat(NodeConfig.format(Duration.ofMillis(1500))).isEqualTo("1.5s");
    assertThat(NodeConfig.format(Duration.ofMillis(200))).isEqualTo("200ms");
    assertThat(NodeConfig.format(Duration.ofMillis(1234))).isEqualTo("1234ms");
    assertThat(NodeConfig.format(Duration.ofMinutes(2))).isEqualTo("120s");
    assertThat(NodeConfig.format(Duration.ofMillis(-200))).isEqualTo("-200ms");
    assertThat(NodeConfig.format(Duration.ofNanos(1_500_000))).isEqualTo("1.5ms");
    assertThat(NodeConfig.format(Duration.ofNanos(250_000))).isEqualTo("250us");
    assertThat(NodeConfig.format(Duration.ofNanos(7))).isEqualTo("7ns");
  }
}
