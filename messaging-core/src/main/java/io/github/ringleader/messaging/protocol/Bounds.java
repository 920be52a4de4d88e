package io.github.ringleader.messaging.protocol;

import io.github.ringleader.messaging.transport.CodecException;

/**
 * The bounds of numbers that arrive from peers and clients, checked where they enter (the message
 * constructors, and so the codecs, which report a value out of range as {@link
 * CodecException.Reason#INVALID_FIELD}). They leave room for every increment a node makes, so no
 * value a peer sends can make one overflow. See {@code docs/wire-protocol.md}, "Bounds".
 */
public final class Bounds {
  /**
   * The highest election term, 2^23 − 1: an epoch id packs the term into its top 24 bits and must
   * stay {@code >= 0}. A node whose term reaches it stays there (see {@link #nextTerm}).
   */
  public static final long MAX_TERM = (1L << 23) - 1;

  /**
   * The highest number a client may give a send (a chat's {@code clientSeq}), 2^40 − 1: a client
   * that sends a thousand messages a second for thirty years stays below it.
   */
  public static final long MAX_CLIENT_SEQ = (1L << 40) - 1;

  private Bounds() {}

  /** The term after {@code term}: one higher, but never above {@link #MAX_TERM}. */
  public static long nextTerm(long term) {
    return term >= MAX_TERM ? MAX_TERM : term + 1;
  }

  static void term(String field, long value) {
    Checks.nonNegative(field, value);
    if (value > MAX_TERM) {
      throw new IllegalArgumentException(field + " must be at most " + MAX_TERM + ", was " + value);
    }
  }

  static void clientSeq(String field, long value) {
    Checks.nonNegative(field, value);
    if (value > MAX_CLIENT_SEQ) {
      throw new IllegalArgumentException(
          field + " must be at most " + MAX_CLIENT_SEQ + ", was " + value);
    }
  }
}
