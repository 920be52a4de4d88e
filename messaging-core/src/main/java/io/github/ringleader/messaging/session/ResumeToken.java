package io.github.ringleader.messaging.session;

import java.util.random.RandomGenerator;

/**
 * The secret that lets a client resume its session: 128 random bits its server draws when the
 * client joins, tells only that client (in its welcome) and replicates with the session, so that
 * any server can check a resume against it. A session id is no secret — other clients see it with
 * every message — so a resume that names a session without its token is refused.
 *
 * <p>Production servers draw tokens from a {@link java.security.SecureRandom}; a simulation passes
 * a seeded generator so that a run replays. {@link #NONE} (all zero bits) stands for "no token":
 * it is never drawn, and a session that has it cannot be resumed.
 *
 * <p>{@link #toString()} does not show the bits, so a token does not end up in a log.
 */
public record ResumeToken(long high, long low) {
  /** No token: a session without one cannot be resumed. */
  public static final ResumeToken NONE = new ResumeToken(0, 0);

  /** The bytes a token takes on the wire (two 64-bit numbers, high first). */
  public static final int BYTES = 16;

  /** A fresh token from {@code source}; never {@link #NONE}. */
  public static ResumeToken random(RandomGenerator source) {
    ResumeToken token;
    do {
      token = new ResumeToken(source.nextLong(), source.nextLong());
    } while (token.isNone());
    return token;
  }

  /** Whether this is {@link #NONE}. */
  public boolean isNone() {
    return (high | low) == 0;
  }

  /**
   * Whether {@code presented} is this token, compared in constant time. {@link #NONE} matches
   * nothing, itself included.
   */
  public boolean matches(ResumeToken presented) {
    long difference = (high ^ presented.high) | (low ^ presented.low);
    return difference == 0 && !isNone();
  }

  @Override
  public String toString() {
    return isNone() ? "ResumeToken[none]" : "ResumeToken[secret]";
  }
}
