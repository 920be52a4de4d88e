package io.github.ringleader.messaging.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TokenBucketTest {
  private static final long MS = 1_000_000L;

  @Test
  void aFullBucketGivesTheWholeBurstAtOnceThenSaysHowLongToWait() {
    TokenBucket bucket = new TokenBucket(10, 5, 0);
    for (int i = 0; i < 5; i++) {
      assertThat(bucket.take(0)).isZero();
    }
    assertThat(bucket.take(0)).isEqualTo(100 * MS);
    assertThat(bucket.take(40 * MS)).isEqualTo(60 * MS);
  }

  @Test
  void tokensComeBackOneIntervalAtATime() {
    TokenBucket bucket = new TokenBucket(10, 5, 0);
    for (int i = 0; i < 5; i++) {
      bucket.take(0);
    }
    assertThat(bucket.take(100 * MS)).isZero();
    assertThat(bucket.take(100 * MS)).isEqualTo(100 * MS);
    assertThat(bucket.take(250 * MS)).isZero();
    assertThat(bucket.take(250 * MS)).isEqualTo(50 * MS);
  }

  @Test
  void aLongQuietSpellRefillsNoMoreThanTheBurst() {
    TokenBucket bucket = new TokenBucket(10, 3, 0);
    bucket.take(0);
    long later = 3_600_000 * MS;
    for (int i = 0; i < 3; i++) {
      assertThat(bucket.take(later)).isZero();
    }
    assertThat(bucket.take(later)).isEqualTo(100 * MS);
  }

  @Test
  void aRefusedTakeTakesNothing() {
    TokenBucket bucket = new TokenBucket(1, 1, 0);
    assertThat(bucket.take(0)).isZero();
    for (int i = 0; i < 10; i++) {
      assertThat(bucket.take(500 * MS)).isEqualTo(500 * MS);
    }
    assertThat(bucket.take(1000 * MS)).isZero();
  }

  @Test
  void theSustainedRateIsTheConfiguredOne() {
    TokenBucket bucket = new TokenBucket(1000, 1, 0);
    int taken = 0;
    for (long now = 0; now < 1000 * MS; now += 100_000) { // every 0.1 ms for a second
      if (bucket.take(now) == 0) {
        taken++;
      }
    }
    assertThat(taken).isEqualTo(1000);
  }

  @Test
  void timesThatWrapAroundAreFine() {
    long start = Long.MAX_VALUE - 50 * MS;
    TokenBucket bucket = new TokenBucket(10, 1, start);
    assertThat(bucket.take(start)).isZero();
    long wait = bucket.take(start);
    assertThat(wait).isEqualTo(100 * MS);
    assertThat(bucket.take(start + wait)).isZero(); // start + wait overflowed to negative
  }

  @Test
  void aRateOrBurstBelowOneIsRefused() {
    assertThatThrownBy(() -> new TokenBucket(0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TokenBucket(1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
