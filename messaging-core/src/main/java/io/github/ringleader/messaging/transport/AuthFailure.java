package io.github.ringleader.messaging.transport;

/**
 * Why a receiver with a cluster key refused a frame that may well be well-formed: the reasons
 * {@link FrameAuthenticator} counts apart from the {@link CodecException.Reason}s of malformed
 * frames. See {@code docs/wire-protocol.md} and {@code docs/security.md}.
 */
public enum AuthFailure {
  /**
   * A plain frame ({@code 'R' 'L'}), neither encrypted nor authenticated, where a sealed one was
   * required. (The names of these reasons date from the HMAC frames of version 1; they are
   * counted and exported under these names.)
   */
  NO_MAC,
  /**
   * A sealed frame that names a key the receiver does not have, or whose AES-GCM tag does not
   * verify under the key it names: sealed under another cluster key, or changed on the way.
   */
  BAD_MAC,
  /**
   * A sealed frame that authenticated but that the receiver has already accepted, that is older
   * than its replay window, or that comes from an older incarnation of its sender than one heard.
   */
  REPLAYED
}
