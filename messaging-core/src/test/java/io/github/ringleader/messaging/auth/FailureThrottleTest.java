package io.github.ringleader.messaging.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FailureThrottleTest {
  private static final long MS = 1_000_000L;

  private final FailureThrottle throttle =
      new FailureThrottle(100 * MS, 3_000 * MS, 1_000 * MS, 60_000 * MS, 4);

  @Test
  void eachFailedAttemptFromAnAddressDoublesTheWaitUpToTheCap() {
    long[] waits = new long[8];
    long now = 0;
    for (int i = 0; i < waits.length; i++) {
      waits[i] = throttle.attempt("10.0.0.1", "", now) / MS;
      now += waits[i] * MS; // the next attempt comes when this one is checked
    }
    assertThat(waits).containsExactly(0, 100, 200, 400, 800, 1_600, 3_000, 3_000);
  }

  @Test
  void attemptsFromOneAddressAtOnceWaitInTurnNotSideBySide() {
    long[] waits = new long[6];
    for (int i = 0; i < waits.length; i++) {
      waits[i] = throttle.attempt("10.0.0.1", "", 0) / MS; // six connections, all at once
    }
    // Each starts after the one before it plus its own delay: one check at a time per address.
    assertThat(waits).containsExactly(0, 100, 300, 700, 1_500, 3_100);
    assertThat(throttle.attempt("10.0.0.2", "", 0)).as("another address").isZero();
  }

  @Test
  void aUsersWaitIsCappedLowerSoGuessingNeverLocksItOut() {
    long last = 0;
    for (int i = 0; i < 20; i++) {
      last = throttle.attempt("10.0.0." + i, "alice", 0); // a new address each time
    }
    assertThat(last).isEqualTo(1_000 * MS);
    throttle.succeeded("10.0.0.99", "alice");
    assertThat(throttle.attempt("10.0.0.100", "alice", 0)).isZero();
  }

  @Test
  void aSuccessTakesBackOnlyItsOwnStrikeAgainstTheAddress() {
    throttle.attempt("a", "mallory", 0);
    throttle.attempt("a", "alice", 0); // a failed guess
    throttle.attempt("a", "mallory", 0);
    throttle.succeeded("a", "mallory");
    assertThat(throttle.strikesOfAddress("a", 0)).isEqualTo(2);
  }

  @Test
  void strikesAreForgottenAfterAQuietPeriod() {
    for (int i = 0; i < 5; i++) {
      throttle.attempt("a", "u", 0);
    }
    assertThat(throttle.strikesOfAddress("a", 59_999 * MS)).isEqualTo(5);
    assertThat(throttle.attempt("a", "u", 60_000 * MS)).isZero();
  }

  @Test
  void itRemembersABoundedNumberOfAddresses() {
    for (int i = 0; i < 3; i++) {
      throttle.attempt("first", "", 0);
    }
    for (int i = 0; i < 4; i++) {
      throttle.attempt("other" + i, "", 0);
    }
    assertThat(throttle.strikesOfAddress("first", 0)).isZero();
    assertThat(throttle.strikesOfAddress("other3", 0)).isEqualTo(1);
  }
}
