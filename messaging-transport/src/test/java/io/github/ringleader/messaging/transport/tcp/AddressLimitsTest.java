package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.AddressLimits.Admission.ADMITTED;
import static io.github.ringleader.messaging.transport.tcp.AddressLimits.Admission.TOO_MANY_JOINS;
import static io.github.ringleader.messaging.transport.tcp.AddressLimits.Admission.TOO_MANY_OPEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

/** The per-address bookkeeping in virtual time: limits, and how little it keeps. */
class AddressLimitsTest {
  private static final long SECOND = 1_000_000_000L;
  private static final InetAddress A = address(1);
  private static final InetAddress B = address(2);

  private static InetAddress address(int n) {
    try {
      return InetAddress.getByAddress(new byte[] {10, (byte) (n >> 16), (byte) (n >> 8), (byte) n});
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void anAddressGetsItsBurstThenOneJoinPerIntervalWhileAnotherIsUntouched() {
    AddressLimits limits = new AddressLimits(100, 2, 3, 10);
    long now = 5 * SECOND;
    assertThat(limits.admit(A, now)).isEqualTo(ADMITTED);
    assertThat(limits.admit(A, now)).isEqualTo(ADMITTED);
    assertThat(limits.admit(A, now)).isEqualTo(ADMITTED);
    assertThat(limits.admit(A, now)).isEqualTo(TOO_MANY_JOINS);
    assertThat(limits.admit(B, now)).isEqualTo(ADMITTED);
    // A refusal takes nothing: half a second (1 / 2 a second) later there is exactly one more.
    assertThat(limits.admit(A, now + SECOND / 2 - 1)).isEqualTo(TOO_MANY_JOINS);
    assertThat(limits.admit(A, now + SECOND / 2)).isEqualTo(ADMITTED);
    assertThat(limits.admit(A, now + SECOND / 2)).isEqualTo(TOO_MANY_JOINS);
    assertThat(limits.open(A)).isEqualTo(4);
  }

  @Test
  void closingConnectionsDoesNotGiveJoinsBack() {
    AddressLimits limits = new AddressLimits(100, 1, 2, 10);
    for (int i = 0; i < 2; i++) {
      assertThat(limits.admit(A, 0)).isEqualTo(ADMITTED);
      limits.closed(A, 0);
    }
    assertThat(limits.open(A)).isZero();
    assertThat(limits.admit(A, 0)).as("connect, close, connect again").isEqualTo(TOO_MANY_JOINS);
  }

  @Test
  void theOpenLimitIsCheckedFirstAndARefusalForItTakesNoJoin() {
    AddressLimits limits = new AddressLimits(1, 1, 2, 10);
    assertThat(limits.admit(A, 0)).isEqualTo(ADMITTED);
    assertThat(limits.admit(A, 0)).isEqualTo(TOO_MANY_OPEN);
    limits.closed(A, 0);
    assertThat(limits.admit(A, 0)).as("the second token is still there").isEqualTo(ADMITTED);
  }

  @Test
  void withoutAJoinRateOnlyOpenConnectionsCount() {
    AddressLimits limits = new AddressLimits(2, 0, 1, 10);
    for (int i = 0; i < 1000; i++) {
      assertThat(limits.admit(A, 0)).isEqualTo(ADMITTED);
      limits.closed(A, 0);
    }
    assertThat(limits.tracked()).isZero();
    limits.admit(A, 0);
    limits.admit(A, 0);
    assertThat(limits.admit(A, 0)).isEqualTo(TOO_MANY_OPEN);
  }

  @Test
  void anAddressIsForgottenOnceNothingIsOpenAndItsBucketIsFullAgain() {
    AddressLimits limits = new AddressLimits(10, 10, 20, 100);
    assertThat(limits.admit(A, 0)).isEqualTo(ADMITTED);
    assertThat(limits.admit(A, 0)).isEqualTo(ADMITTED);
    limits.closed(A, 0);
    assertThat(limits.tracked()).as("one still open").isEqualTo(1);
    limits.closed(A, SECOND / 10);
    assertThat(limits.tracked()).as("the bucket is refilling: it is remembered").isEqualTo(1);
    limits.forgetRested(SECOND / 10 + SECOND / 10 - 1);
    assertThat(limits.tracked()).isEqualTo(1);
    limits.forgetRested(2 * SECOND / 10); // two joins at 100 ms each are back by 200 ms
    assertThat(limits.tracked()).isZero();

    // Closed after it is full again: dropped at once, no sweep needed.
    limits.admit(B, 0);
    limits.closed(B, SECOND);
    assertThat(limits.tracked()).isZero();
  }

  @Test
  void manyAddressesThatJoinAndLeaveLeaveAtMostMaxRestingBehind() {
    int maxResting = 50;
    AddressLimits limits = new AddressLimits(64, 10, 20, maxResting);
    long now = 0;
    for (int n = 0; n < 10_000; n++) {
      InetAddress a = address(n);
      assertThat(limits.admit(a, now)).isEqualTo(ADMITTED);
      limits.closed(a, now);
      assertThat(limits.tracked()).isLessThanOrEqualTo(maxResting);
      now += 1000; // 1 µs apart: no bucket refills meanwhile
    }
    assertThat(limits.tracked()).isEqualTo(maxResting);
    // The newest are the ones kept: the last address is still held to its rate...
    InetAddress last = address(9_999);
    for (int i = 0; i < 19; i++) {
      assertThat(limits.admit(last, now)).isEqualTo(ADMITTED);
    }
    assertThat(limits.admit(last, now)).isEqualTo(TOO_MANY_JOINS);
    // ...and once every bucket is full again, nothing is left but what is open.
    limits.forgetRested(now + 3 * SECOND);
    assertThat(limits.tracked()).isEqualTo(1);
  }

  @Test
  void openAddressesAreNeverEvictedByRestingOnes() {
    AddressLimits limits = new AddressLimits(1, 1, 1, 2);
    assertThat(limits.admit(A, 0)).isEqualTo(ADMITTED);
    for (int n = 10; n < 20; n++) {
      limits.admit(address(n), 0);
      limits.closed(address(n), 0);
    }
    assertThat(limits.tracked()).isEqualTo(3);
    assertThat(limits.admit(A, 0)).isEqualTo(TOO_MANY_OPEN);
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> new AddressLimits(0, 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new AddressLimits(1, -1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new AddressLimits(1, 1, 1, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
