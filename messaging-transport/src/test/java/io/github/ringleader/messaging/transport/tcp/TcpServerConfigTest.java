package io.github.ringleader.messaging.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TcpServerConfigTest {
  @Test
  void backPressureDefaultsKeepEveryClientBelowTheNodesBusyBound() {
    TcpServerConfig config = TcpServerConfig.builder().build();
    assertThat(config.maxInFlightSends()).isEqualTo(256).isLessThan(1024);
    assertThat(config.maxRequestsPerSecond()).isEqualTo(200_000);
    assertThat(config.requestBurst()).isEqualTo(20_000);
  }

  @Test
  void theWindowMustStayBelowTheNodesBound() {
    assertThat(TcpServerConfig.builder().maxInFlightSends(1023).build().maxInFlightSends())
        .isEqualTo(1023);
    assertThatThrownBy(() -> TcpServerConfig.builder().maxInFlightSends(1024))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "maxInFlightSends must be in 1..1023 (below the node's 1024 unanswered sends, beyond"
                + " which it answers BUSY), was 1024");
    assertThatThrownBy(() -> TcpServerConfig.builder().maxInFlightSends(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("was 0");
  }

  @Test
  void aRateOfZeroMeansUnlimitedAndNegativesAreRefused() {
    assertThat(TcpServerConfig.builder().maxRequestsPerSecond(0).build().maxRequestsPerSecond())
        .isZero();
    assertThatThrownBy(() -> TcpServerConfig.builder().maxRequestsPerSecond(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxRequestsPerSecond must be >= 0 (0 = unlimited), was -1");
    assertThatThrownBy(() -> TcpServerConfig.builder().requestBurst(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("requestBurst must be >= 1, was 0");
  }

  @Test
  void perAddressAndHelloLimitsHaveDefaultsAndRefuseBadValuesByName() {
    TcpServerConfig config = TcpServerConfig.builder().build();
    assertThat(config.maxConnectionsPerAddress()).isEqualTo(64);
    assertThat(config.helloTimeout()).isEqualTo(java.time.Duration.ofSeconds(10));
    assertThat(TcpServerConfig.builder()
            .helloTimeout(java.time.Duration.ZERO)
            .build()
            .helloTimeout())
        .isZero();
    assertThatThrownBy(() -> TcpServerConfig.builder().maxConnectionsPerAddress(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxConnectionsPerAddress must be >= 1, was 0");
    assertThatThrownBy(
            () -> TcpServerConfig.builder().helloTimeout(java.time.Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("helloTimeout must be >= 0, was ");
  }

  @Test
  void withTlsKeepsEveryOtherSetting() {
    TcpServerConfig config = TcpServerConfig.builder()
        .host("0.0.0.0")
        .port(7001)
        .maxQueuedFrames(7)
        .maxQueuedBytes(70_000)
        .idleTimeout(java.time.Duration.ofSeconds(7))
        .maxConnections(77)
        .maxConnectionsPerAddress(3)
        .maxJoinsPerSecondPerAddress(5)
        .joinBurstPerAddress(9)
        .helloTimeout(java.time.Duration.ofSeconds(3))
        .closeGrace(java.time.Duration.ofMillis(700))
        .socketSendBufferBytes(7777)
        .maxInFlightSends(17)
        .maxInFlightSendsAllClients(71)
        .maxRequestsPerSecond(1700)
        .requestBurst(170)
        .build();
    TlsServerSettings tls =
        TlsServerSettings.pem(java.nio.file.Path.of("c.pem"), java.nio.file.Path.of("k.pem"));

    TcpServerConfig withTls = config.withTls(tls);

    assertThat(withTls.tls()).isSameAs(tls);
    assertThat(withTls.withTls(null).toString()).isEqualTo(config.toString());
    assertThat(config.tls()).isNull();
  }

  @Test
  void joinLimitsHaveDefaultsAndRefuseBadValuesByName() {
    TcpServerConfig config = TcpServerConfig.builder().build();
    assertThat(config.maxJoinsPerSecondPerAddress()).isEqualTo(10);
    assertThat(config.joinBurstPerAddress()).isEqualTo(20);
    assertThat(TcpServerConfig.builder()
            .maxJoinsPerSecondPerAddress(0)
            .build()
            .maxJoinsPerSecondPerAddress())
        .isZero();
    assertThatThrownBy(() -> TcpServerConfig.builder().maxJoinsPerSecondPerAddress(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxJoinsPerSecondPerAddress must be >= 0 (0 = unlimited), was -1");
    assertThatThrownBy(() -> TcpServerConfig.builder().joinBurstPerAddress(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("joinBurstPerAddress must be >= 1, was 0");
  }

  @Test
  void theBudgetOfAllClientsHasADefaultAndZeroMeansNone() {
    assertThat(TcpServerConfig.builder().build().maxInFlightSendsAllClients()).isEqualTo(1024);
    assertThat(TcpServerConfig.builder()
            .maxInFlightSendsAllClients(0)
            .build()
            .maxInFlightSendsAllClients())
        .isZero();
    assertThatThrownBy(() -> TcpServerConfig.builder().maxInFlightSendsAllClients(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxInFlightSendsAllClients must be >= 0 (0 = no bound), was -1");
  }
}
