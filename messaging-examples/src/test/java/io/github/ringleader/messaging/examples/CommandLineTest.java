package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line: every bad argument says what is wrong, prints the usage and exits 2. */
class CommandLineTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        List.of(args),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void noCommandPrintsTheUsageAndExits2() {
    assertThat(run()).isEqualTo(2);
    assertThat(err()).contains("no command given").contains("usage:");
  }

  @Test
  void unknownCommandIsNamed() {
    assertThat(run("serve")).isEqualTo(2);
    assertThat(err()).contains("unknown command \"serve\"");
  }

  @Test
  void helpGoesToStandardOutputAndExits0() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("demo")
        .contains("server <id> <port>");
    assertThat(run("server", "--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("--heartbeat")
        .contains("--mcast-port")
        .contains("--ttl <0..255>");
  }

  @Test
  void ttlIsParsedInItsRangeAndPassedToTheTransport() throws UsageException {
    ClusterOptions options = new ClusterOptions();
    assertThat(options.parse(List.of("server1", "--ttl", "2", "5001")))
        .containsExactly("server1", "5001");
    assertThat(options.ttl).isEqualTo(2);
    assertThat(options.clusterSetup().transport().ttl()).isEqualTo(2);

    ClusterOptions zero = new ClusterOptions();
    zero.parse(List.of("--ttl", "0"));
    assertThat(zero.clusterSetup().transport().ttl()).isZero();
  }

  @Test
  void withoutTtlLoopbackStaysAtZero() throws UsageException {
    ClusterOptions options = new ClusterOptions();
    options.parse(List.of());
    assertThat(options.ttl).isNull();
    assertThat(options.clusterSetup().transport().ttl())
        .as("default interface: loopback")
        .isZero();
    ClusterOptions lo = new ClusterOptions();
    lo.parse(List.of("--interface", "lo"));
    assertThat(lo.clusterSetup().transport().ttl()).isZero();
  }

  @Test
  void aBadTtlNamesTheOptionAndItsRange() {
    assertThat(run("server", "server1", "5001", "--ttl", "256")).isEqualTo(2);
    assertThat(err()).contains("--ttl must be in 0..255, was 256");
    assertThat(run("server", "server1", "5001", "--ttl", "-1")).isEqualTo(2);
    assertThat(err()).contains("--ttl must be in 0..255, was -1");
    assertThat(run("server", "server1", "5001", "--ttl", "far")).isEqualTo(2);
    assertThat(err()).contains("--ttl takes a whole number, was \"far\"");
    assertThat(run("server", "server1", "5001", "--ttl")).isEqualTo(2);
    assertThat(err()).contains("--ttl needs a value");
  }

  @Test
  void clientLimitsAreSettableAndBadValuesNameTheOptionAndItsRange() throws UsageException {
    assertThat(run("server", "--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("--max-in-flight <n>")
        .contains("--max-request-rate <n>")
        .contains("--request-burst <n>")
        .contains("--max-queued-frames <n>")
        .contains("--max-queued-bytes <n>")
        .contains("--max-connections <n>")
        .contains("--idle-timeout <duration>");

    ClientLimitOptions limits = new ClientLimitOptions();
    List<String> args = new java.util.ArrayList<>(List.of(
        "server1",
        "--max-in-flight",
        "1000",
        "5001",
        "--max-request-rate",
        "0",
        "--request-burst",
        "5",
        "--max-queued-frames",
        "99",
        "--max-queued-bytes",
        "65536",
        "--max-connections",
        "7",
        "--idle-timeout",
        "0s",
        "--ttl",
        "1"));
    limits.takeFrom(args);
    assertThat(args).containsExactly("server1", "5001", "--ttl", "1");
    io.github.ringleader.messaging.transport.tcp.TcpServerConfig config =
        limits.config("127.0.0.1", 5001);
    assertThat(config.maxInFlightSends()).isEqualTo(1000);
    assertThat(config.maxRequestsPerSecond()).isZero();
    assertThat(config.requestBurst()).isEqualTo(5);
    assertThat(config.maxQueuedFrames()).isEqualTo(99);
    assertThat(config.maxQueuedBytes()).isEqualTo(65536);
    assertThat(config.maxConnections()).isEqualTo(7);
    assertThat(config.idleTimeout()).isZero();

    assertThat(run("server", "server1", "5001", "--max-in-flight", "5000")).isEqualTo(2);
    assertThat(err()).contains("--max-in-flight must be in 1..1023, was 5000");
    assertThat(run("server", "server1", "5001", "--max-request-rate", "fast")).isEqualTo(2);
    assertThat(err()).contains("--max-request-rate takes a whole number, was \"fast\"");
    assertThat(run("server", "server1", "5001", "--request-burst")).isEqualTo(2);
    assertThat(err()).contains("--request-burst needs a value");
  }

  @Test
  void perAddressAndHelloLimitsAreSettableAndBadValuesSayWhyInOneLine() throws UsageException {
    assertThat(run("server", "--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("--max-connections-per-address <n>")
        .contains("--hello-timeout <duration>");

    ClientLimitOptions limits = new ClientLimitOptions();
    List<String> args = new java.util.ArrayList<>(List.of(
        "server1", "--max-connections-per-address", "3", "5001", "--hello-timeout", "500ms"));
    limits.takeFrom(args);
    assertThat(args).containsExactly("server1", "5001");
    io.github.ringleader.messaging.transport.tcp.TcpServerConfig config =
        limits.config("127.0.0.1", 5001);
    assertThat(config.maxConnectionsPerAddress()).isEqualTo(3);
    assertThat(config.helloTimeout()).isEqualTo(java.time.Duration.ofMillis(500));

    ClientLimitOptions off = new ClientLimitOptions();
    off.takeFrom(new java.util.ArrayList<>(List.of("--hello-timeout", "0s")));
    assertThat(off.config("127.0.0.1", 5001).helloTimeout()).isZero();

    assertThat(run("server", "server1", "5001", "--max-connections-per-address", "0"))
        .isEqualTo(2);
    assertThat(err()).contains("--max-connections-per-address must be in 1..");
    assertThat(run("server", "server1", "5001", "--max-connections-per-address", "many"))
        .isEqualTo(2);
    assertThat(err()).contains("--max-connections-per-address takes a whole number, was \"many\"");
    assertThat(run("server", "server1", "5001", "--hello-timeout", "soon")).isEqualTo(2);
    assertThat(err()).contains("--hello-timeout takes a duration such as 200ms, 2s or 1m");
    assertThat(run("server", "server1", "5001", "--hello-timeout")).isEqualTo(2);
    assertThat(err()).contains("--hello-timeout needs a value");
  }

  @Test
  void joinLimitsAreSettableAndBadValuesSayWhyInOneLine() throws UsageException {
    assertThat(run("server", "--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("--max-joins-per-second-per-address <n>")
        .contains("--join-burst <n>");

    ClientLimitOptions limits = new ClientLimitOptions();
    List<String> args = new java.util.ArrayList<>(
        List.of("server1", "--max-joins-per-second-per-address", "3", "5001", "--join-burst", "7"));
    limits.takeFrom(args);
    assertThat(args).containsExactly("server1", "5001");
    io.github.ringleader.messaging.transport.tcp.TcpServerConfig config =
        limits.config("127.0.0.1", 5001);
    assertThat(config.maxJoinsPerSecondPerAddress()).isEqualTo(3);
    assertThat(config.joinBurstPerAddress()).isEqualTo(7);

    ClientLimitOptions off = new ClientLimitOptions();
    off.takeFrom(new java.util.ArrayList<>(List.of("--max-joins-per-second-per-address", "0")));
    assertThat(off.config("127.0.0.1", 5001).maxJoinsPerSecondPerAddress()).isZero();
    ClientLimitOptions defaults = new ClientLimitOptions();
    assertThat(defaults.config("127.0.0.1", 5001).maxJoinsPerSecondPerAddress()).isEqualTo(10);
    assertThat(defaults.config("127.0.0.1", 5001).joinBurstPerAddress()).isEqualTo(20);

    assertThat(run("server", "server1", "5001", "--max-joins-per-second-per-address", "-1"))
        .isEqualTo(2);
    assertThat(err()).contains("--max-joins-per-second-per-address must be in 0..");
    assertThat(run("server", "server1", "5001", "--max-joins-per-second-per-address", "lots"))
        .isEqualTo(2);
    assertThat(err())
        .contains("--max-joins-per-second-per-address takes a whole number, was \"lots\"");
    assertThat(run("server", "server1", "5001", "--join-burst", "0")).isEqualTo(2);
    assertThat(err()).contains("--join-burst must be in 1..");
    assertThat(run("server", "server1", "5001", "--join-burst")).isEqualTo(2);
    assertThat(err()).contains("--join-burst needs a value");
  }

  @Test
  void theBudgetOfAllClientsIsSettableAndBadValuesSayWhy() throws UsageException {
    assertThat(run("server", "--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--max-in-flight-all-clients <n>");
    ClientLimitOptions limits = new ClientLimitOptions();
    List<String> args =
        new java.util.ArrayList<>(List.of("--max-in-flight-all-clients", "64", "server1"));
    limits.takeFrom(args);
    assertThat(args).containsExactly("server1");
    assertThat(limits.config("127.0.0.1", 5001).maxInFlightSendsAllClients()).isEqualTo(64);
    assertThat(new ClientLimitOptions().config("127.0.0.1", 5001).maxInFlightSendsAllClients())
        .isEqualTo(1024);

    assertThat(run("server", "server1", "5001", "--max-in-flight-all-clients", "-5"))
        .isEqualTo(2);
    assertThat(err()).contains("--max-in-flight-all-clients must be in 0..");
    assertThat(run("server", "server1", "5001", "--max-in-flight-all-clients", "x"))
        .isEqualTo(2);
    assertThat(err()).contains("--max-in-flight-all-clients takes a whole number, was \"x\"");
  }

  @Test
  void serverWithoutPortSaysWhatIsMissing() {
    assertThat(run("server", "server1")).isEqualTo(2);
    assertThat(err())
        .contains("server takes <id> and <port>, got 1 argument(s)")
        .contains("usage:");
  }

  @Test
  void serverWithAnInvalidIdNamesTheBadCharacter() {
    assertThat(run("server", "server 1", "5001")).isEqualTo(2);
    assertThat(err()).contains("<id>: node id may only contain").contains("' '");
  }

  @Test
  void serverWithAPortOutOfRangeSaysTheRange() {
    assertThat(run("server", "server1", "70000")).isEqualTo(2);
    assertThat(err()).contains("<port> must be in 1..65535, was 70000");
  }

  @Test
  void badOptionValuesNameTheOption() {
    assertThat(run("server", "server1", "5001", "--heartbeat", "soon")).isEqualTo(2);
    assertThat(err())
        .contains("--heartbeat takes a duration such as 200ms, 2s or 1m, was \"soon\"");
    assertThat(run("server", "server1", "5001", "--missed", "0")).isEqualTo(2);
    assertThat(err()).contains("--missed must be in 1..1000, was 0");
    assertThat(run("server", "server1", "5001", "--group", "10.0.0.1")).isEqualTo(2);
    assertThat(err()).contains("group must be a multicast address");
    assertThat(run("server", "server1", "5001", "--cluster", "my cluster")).isEqualTo(2);
    assertThat(err()).contains("--cluster: cluster name must be");
    assertThat(run("server", "server1", "5001", "--capacity")).isEqualTo(2);
    assertThat(err()).contains("--capacity needs a value");
    assertThat(run("server", "server1", "5001", "--colour", "red")).isEqualTo(2);
    assertThat(err()).contains("unknown option --colour");
  }

  @Test
  void anUnknownInterfaceIsRefusedClearly() {
    assertThat(run("server", "server1", "5001", "--interface", "nosuch0")).isEqualTo(2);
    assertThat(err()).contains("nosuch0");
  }

  @Test
  void clientWithAnInvalidNameSaysWhy() {
    assertThat(run("client", "bad name", "localhost", "5001")).isEqualTo(2);
    assertThat(err()).contains("<name>: a name may only contain");
  }

  @Test
  void clientWithMissingArgumentsPrintsTheUsage() {
    assertThat(run("client", "alice", "localhost")).isEqualTo(2);
    assertThat(err())
        .contains("client takes <name>, <host> and <port>, got 2")
        .contains("commands:");
  }

  @Test
  void durationsAcceptMillisecondsSecondsMinutesAndIso8601() throws UsageException {
    assertThat(Durations.parse("--heartbeat", "200ms")).isEqualTo(Duration.ofMillis(200));
    assertThat(Durations.parse("--heartbeat", "2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(Durations.parse("--heartbeat", "1m")).isEqualTo(Duration.ofMinutes(1));
    assertThat(Durations.parse("--heartbeat", "PT0.5S")).isEqualTo(Duration.ofMillis(500));
    assertThatThrownBy(() -> Durations.parse("--heartbeat", "0s"))
        .hasMessage("--heartbeat must be positive, was \"0s\"");
  }
}
