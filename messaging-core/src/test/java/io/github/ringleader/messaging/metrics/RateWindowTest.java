package io.github.ringleader.messaging.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RateWindowTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void withoutSamplesTheRateIsZero() {
    assertThat(new RateWindow(5 * SECOND, 8).perSecond(10 * SECOND, 100)).isZero();
  }

  @Test
  void whileTheWindowFillsTheOldestSampleIsTheBase() {
    RateWindow window = new RateWindow(5 * SECOND, 8);
    window.sample(0, 0);
    window.sample(SECOND, 10);

    assertThat(window.perSecond(2 * SECOND, 20)).isCloseTo(10.0, within(1e-9));
  }

  @Test
  void onceFullTheRateCoversOnlyTheWindow() {
    RateWindow window = new RateWindow(5 * SECOND, 8);
    // 100/s for 10 s, then nothing for 6 s.
    for (int s = 0; s <= 10; s++) {
      window.sample(s * SECOND, s * 100L);
    }
    assertThat(window.perSecond(10 * SECOND, 1000)).isCloseTo(100.0, within(1e-9));
    for (int s = 11; s <= 16; s++) {
      window.sample(s * SECOND, 1000);
    }
    assertThat(window.perSecond(16 * SECOND, 1000)).isZero();
    assertThat(window.perSecond(16 * SECOND + SECOND / 2, 1050))
        .as("50 more in the last half second, over a 5.5 s window")
        .isCloseTo(50 / 5.5, within(1e-9));
  }
}
