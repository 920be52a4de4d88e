package io.github.ringleader.messaging.loop;

/**
 * A timed part of a node: a state machine that has work at moments it knows in advance
 * (retransmissions, heartbeats, timeouts, throttled news). Its owner keeps one wake-up on the
 * {@link EventLoop}, at the earliest {@link #nextDeadlineNanos()} of all its parts, and at that
 * moment calls {@link #onTick} on them in a fixed order.
 *
 * <p>The contract, which keeps the owner a plain loop:
 *
 * <ul>
 *   <li>{@link #nextDeadlineNanos()} is cheap, has no effect, and is asked again after every
 *       event, so it may change whenever the part's state does.
 *   <li>{@link #onTick} does what is due by {@code nowNanos} and nothing else: it may be called
 *       early (the owner ticks every part when the earliest is due) or late (the loop was busy),
 *       and it never schedules a timer of its own.
 *   <li>Time is the loop's {@link EventLoop#nanoTime()}, passed in, so a part runs the same in
 *       virtual time. What a tick produces goes to an outbox or sink the part was built with, or
 *       waits in the part for its owner to take — never into shared state.
 * </ul>
 */
public interface Ticking {
  /** The value of {@link #nextDeadlineNanos()} when nothing is scheduled. */
  long NONE = Long.MAX_VALUE;

  /** The earliest loop time at which {@link #onTick} has work, or {@link #NONE}. */
  long nextDeadlineNanos();

  /** Does what is due by {@code nowNanos} (loop time); nothing if nothing is. */
  void onTick(long nowNanos);

  /** The earliest deadline of {@code parts}, or {@link #NONE}. */
  static long earliestDeadline(Iterable<? extends Ticking> parts) {
    long earliest = NONE;
    for (Ticking part : parts) {
      earliest = Math.min(earliest, part.nextDeadlineNanos());
    }
    return earliest;
  }
}
