package io.github.ringleader.messaging.auth;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Slows down guessing: how long to wait before checking a client's next credential, given the
 * recent failed (and still undecided) attempts from its address and for the user it claims.
 *
 * <p>Each attempt is a strike against its address and its user until it succeeds; a success
 * takes back its own strike against the address (not the others: one good account must not wash
 * out guesses at others) and clears the user's. The wait is {@code base × 2^(strikes − 1)}, capped separately for addresses and
 * users, and the longer of the two applies. The cap for a user is kept short, so that someone
 * guessing at a user's password slows that user's own sign-in by at most that much, and never
 * locks it out. Strikes are forgotten after {@code forgetAfterNanos} without a new one.
 *
 * <p>Waiting <em>before</em> the check, not only before answering a failure, is what slows a
 * guesser: one that does not wait for answers gains nothing. Attempts from one address wait in
 * turn: each check starts after the previous one's start plus its own delay, so connections
 * opened side by side get one check at a time (the ones waiting longer than the hello deadline
 * are closed by it).
 *
 * <p>Bounded: at most {@code maxTracked} addresses and as many users are remembered, the least
 * recently struck forgotten first. Time is passed in; not thread-safe (the node calls it on its
 * event loop).
 */
public final class FailureThrottle {
  /** Defaults: 100 ms base, 3 s cap per address, 1 s per user, forget after 10 min, 10,000 each. */
  public static final long DEFAULT_BASE_NANOS = 100_000_000L;

  public static final long DEFAULT_MAX_ADDRESS_NANOS = 3_000_000_000L;
  public static final long DEFAULT_MAX_USER_NANOS = 1_000_000_000L;
  public static final long DEFAULT_FORGET_AFTER_NANOS = 600_000_000_000L;
  public static final int DEFAULT_MAX_TRACKED = 10_000;

  private static final class Strikes {
    int count;
    long lastNanos;
    /** When the latest attempt's check may start (addresses only). */
    long notBeforeNanos = Long.MIN_VALUE;
  }

  private final long baseNanos;
  private final long maxAddressNanos;
  private final long maxUserNanos;
  private final long forgetAfterNanos;
  private final Map<String, Strikes> byAddress;
  private final Map<String, Strikes> byUser;

  public FailureThrottle() {
    this(
        DEFAULT_BASE_NANOS,
        DEFAULT_MAX_ADDRESS_NANOS,
        DEFAULT_MAX_USER_NANOS,
        DEFAULT_FORGET_AFTER_NANOS,
        DEFAULT_MAX_TRACKED);
  }

  public FailureThrottle(
      long baseNanos,
      long maxAddressNanos,
      long maxUserNanos,
      long forgetAfterNanos,
      int maxTracked) {
    if (baseNanos < 0
        || maxAddressNanos < 0
        || maxUserNanos < 0
        || forgetAfterNanos <= 0
        || maxTracked < 1) {
      throw new IllegalArgumentException("throttle settings must be >= 0 (forget and tracked > 0)");
    }
    this.baseNanos = baseNanos;
    this.maxAddressNanos = maxAddressNanos;
    this.maxUserNanos = maxUserNanos;
    this.forgetAfterNanos = forgetAfterNanos;
    this.byAddress = bounded(maxTracked);
    this.byUser = bounded(maxTracked);
  }

  private static Map<String, Strikes> bounded(int max) {
    return new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Strikes> eldest) {
        return size() > max;
      }
    };
  }

  /**
   * An attempt from {@code address} for {@code userKey} ("" if none) starts now: returns how long
   * to wait before checking it, and counts it as a strike until {@link #succeeded}.
   */
  public long attempt(String address, String userKey, long nowNanos) {
    Strikes strikes = byAddress.computeIfAbsent(address, k -> new Strikes());
    int earlier = strike(strikes, nowNanos);
    // In turn: after the address's previous attempt starts, plus this one's own delay, so that
    // connections opened side by side get one check at a time, not one each.
    long startAt = Math.max(nowNanos, strikes.notBeforeNanos) + delay(earlier, maxAddressNanos);
    strikes.notBeforeNanos = startAt;
    return Math.max(
        startAt - nowNanos,
        userKey.isEmpty()
            ? 0
            : delay(
                strike(byUser.computeIfAbsent(userKey, k -> new Strikes()), nowNanos),
                maxUserNanos));
  }

  /**
   * The attempt from {@code address} for {@code userKey} succeeded: its own strike against the
   * address is taken back, and the user's strikes are cleared.
   */
  public void succeeded(String address, String userKey) {
    Strikes strikes = byAddress.get(address);
    if (strikes != null && strikes.count > 0) {
      strikes.count--;
    }
    byUser.remove(userKey);
  }

  /** The strikes against {@code address} now (for tests and metrics). */
  public int strikesOfAddress(String address, long nowNanos) {
    return current(byAddress.get(address), nowNanos);
  }

  /** The strikes against {@code userKey} now. */
  public int strikesOfUser(String userKey, long nowNanos) {
    return current(byUser.get(userKey), nowNanos);
  }

  private int current(@Nullable Strikes strikes, long nowNanos) {
    return strikes == null || nowNanos - strikes.lastNanos >= forgetAfterNanos ? 0 : strikes.count;
  }

  /** Adds a strike; returns the strikes before it. */
  private int strike(Strikes strikes, long nowNanos) {
    int before = current(strikes, nowNanos);
    strikes.count = before == Integer.MAX_VALUE ? before : before + 1;
    strikes.lastNanos = nowNanos;
    return before;
  }

  /** {@code base × 2^(earlier − 1)} for {@code earlier >= 1}, 0 for none, capped. */
  private long delay(int earlier, long cap) {
    if (earlier == 0) {
      return 0;
    }
    int shift = Math.min(earlier - 1, 40);
    long wait = baseNanos << shift;
    return wait < 0 || wait > cap ? cap : wait;
  }
}
