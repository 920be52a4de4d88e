package io.github.ringleader.messaging.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TcpServerConfigTest {
  @Test
  void backPressureDefaultsKeepEveryClientBelowTheNodesBusyBound() {
    TcpServerConfig config = TcpServerConfig.builder().build();
    assertThat(config.maxInFlightSends()).isEqualTo(16).isLessThan(256);
    assertThat(config.maxRequestsPerSecond()).isEqualTo(1000);
    assertThat(config.requestBurst()).isEqualTo(1000);
  }

  @Test
  void theWindowMustStayBelowTheNodesBound() {
    assertThat(TcpServerConfig.builder().maxInFlightSends(255).build().maxInFlightSends())
        .isEqualTo(255);
    assertThatThrownBy(() -> TcpServerConfig.builder().maxInFlightSends(256))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "maxInFlightSends must be in 1..255 (below the node's 256 unanswered sends, beyond"
                + " which it answers BUSY), was 256");
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
}
