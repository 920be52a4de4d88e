package io.github.ringleader.messaging.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ServerTlsExpiryTest {
  @Test
  void aCertificateExpiringWithin30DaysOrExpiredIsAProblemToWarnAbout() {
    java.time.Instant now = java.time.Instant.parse("2026-12-03T12:00:00Z");

    assertThat(ServerTls.expiryProblem(now.plus(java.time.Duration.ofDays(60)), now))
        .isNull();
    assertThat(ServerTls.expiryProblem(now.plus(java.time.Duration.ofDays(10)), now))
        .isEqualTo("expires soon, at 2026-12-13T12:00:00Z (in 10 days)");
    assertThat(ServerTls.expiryProblem(now.minusSeconds(1), now))
        .isEqualTo("EXPIRED at 2026-12-03T11:59:59Z: clients will refuse it");
  }
}
