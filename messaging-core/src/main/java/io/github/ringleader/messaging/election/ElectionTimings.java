package io.github.ringleader.messaging.election;

/**
 * The timing knobs of the election.
 *
 * @param ackTimeoutNanos how long a token waits for its acknowledgement before it is sent again
 * @param maxAttempts sends of one token to one successor before that successor is skipped
 * @param electionTimeoutNanos how long an election may run, or a node stay without a leader,
 *     before it starts a new election in a higher term
 * @param announceRepeats extra times a new leader repeats its announcement, {@code ackTimeout}
 *     apart, against loss (its heartbeats carry the news too)
 */
public record ElectionTimings(
    long ackTimeoutNanos, int maxAttempts, long electionTimeoutNanos, int announceRepeats) {

  public ElectionTimings {
    if (ackTimeoutNanos <= 0) {
      throw new IllegalArgumentException("ackTimeoutNanos must be > 0, was " + ackTimeoutNanos);
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
    }
    if (electionTimeoutNanos <= 0) {
      throw new IllegalArgumentException(
          "electionTimeoutNanos must be > 0, was " + electionTimeoutNanos);
    }
    if (announceRepeats < 0) {
      throw new IllegalArgumentException("announceRepeats must be >= 0, was " + announceRepeats);
    }
  }
}
