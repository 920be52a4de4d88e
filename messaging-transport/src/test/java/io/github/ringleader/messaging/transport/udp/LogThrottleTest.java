package io.github.ringleader.messaging.transport.udp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class LogThrottleTest {
  @Test
  void logsTheFirstOccurrenceAndThenEveryHundredth() {
    assertThat(LongStream.rangeClosed(1, 1000).filter(LogThrottle::worthLogging).toArray())
        .containsExactly(1, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000);
  }
}
