package io.github.ringleader.messaging.protocol;

/**
 * Why a receiver with a cluster key refused a frame that may well be well-formed: the reasons
 * {@link FrameAuthenticator} counts apart from the {@link CodecException.Reason}s of malformed
 * frames. See {@code docs/wire-protocol.md} and {@code docs/security.md}.
 */
public enum AuthFailure {
  /** A plain frame ({@code 'R' 'L'}), without a MAC, where an authenticated one was required. */
  NO_MAC,
  /** An authenticated frame whose MAC matches none of the receiver's keys. */
  BAD_MAC,
  /**
   * An authenticated frame with a valid MAC that the receiver has already accepted, that is older
   * than its replay window, or that comes from an older incarnation of its sender than one heard.
   */
  REPLAYED
}
