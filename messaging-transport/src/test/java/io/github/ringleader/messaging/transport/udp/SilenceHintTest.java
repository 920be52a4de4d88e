package io.github.ringleader.messaging.transport.udp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The silence-hint decision, in hand-stepped time. */
class SilenceHintTest {
  private static final long START = 1_000_000_000L;
  private static final long SECOND = 1_000_000_000L;

  @Test
  void warnsOnceWhenNothingIsHeardForTheWholeSilence() {
    SilenceHint hint = new SilenceHint(START, Duration.ofSeconds(10));

    assertThat(hint.deadlineNanos()).isEqualTo(START + 10 * SECOND);
    assertThat(hint.shouldWarn(START)).isFalse();
    assertThat(hint.shouldWarn(START + 10 * SECOND - 1)).isFalse();
    assertThat(hint.shouldWarn(START + 10 * SECOND)).isTrue();
    assertThat(hint.shouldWarn(START + 11 * SECOND)).isFalse();
    assertThat(hint.shouldWarn(START + 100 * SECOND)).isFalse();
    assertThat(hint.deadlineNanos()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void neverWarnsOnceAnotherServerWasHeard() {
    SilenceHint hint = new SilenceHint(START, Duration.ofSeconds(10));

    assertThat(hint.shouldWarn(START + 9 * SECOND)).isFalse();
    hint.onHeardOther();

    assertThat(hint.shouldWarn(START + 10 * SECOND)).isFalse();
    assertThat(hint.shouldWarn(START + 60 * SECOND)).isFalse();
    assertThat(hint.deadlineNanos()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void hearingSomeoneAfterTheHintChangesNothing() {
    SilenceHint hint = new SilenceHint(START, Duration.ofMillis(250));
    assertThat(hint.shouldWarn(START + SECOND)).isTrue();

    hint.onHeardOther();

    assertThat(hint.shouldWarn(START + 2 * SECOND)).isFalse();
  }

  @Test
  void aZeroSilenceDisablesTheHint() {
    SilenceHint hint = new SilenceHint(START, Duration.ZERO);

    assertThat(hint.shouldWarn(START)).isFalse();
    assertThat(hint.shouldWarn(START + 1_000 * SECOND)).isFalse();
    assertThat(hint.deadlineNanos()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void worksAcrossTheWrapOfTheNanoClock() {
    long start = Long.MAX_VALUE - SECOND; // System.nanoTime() may be anywhere, even near a wrap
    SilenceHint hint = new SilenceHint(start, Duration.ofSeconds(2));

    assertThat(hint.shouldWarn(start + SECOND)).isFalse();
    assertThat(hint.shouldWarn(start + 2 * SECOND)).isTrue(); // overflowed to negative
  }

  @Test
  void theMessageNamesGroupInterfaceSilenceAndTheOperationsGuide() {
    assertThat(SilenceHint.message("239.255.77.77", 5007, "lo", Duration.ofSeconds(10)))
        .isEqualTo(
            "no other server heard on 239.255.77.77:5007 via lo for 10 s; if other servers run,"
                + " multicast may be blocked on this network — see docs/operations.md");
    assertThat(SilenceHint.format(Duration.ofMillis(1500))).isEqualTo("1500 ms");
  }
}
