package io.github.ringleader.messaging.protocol;

import io.github.ringleader.messaging.transport.AuthFailure;
import io.github.ringleader.messaging.transport.CodecException;

/**
 * A frame refused by {@link FrameAuthenticator}: plain where a sealed one was required, failing
 * its authentication tag (or naming a key the receiver lacks), or replayed.
 * Like {@link CodecException} it describes input, not a fault of the program, so it carries no
 * stack trace, and its message never repeats bytes of the input.
 */
public final class AuthenticationException extends Exception {
  private static final long serialVersionUID = 1L;

  private final AuthFailure reason;

  AuthenticationException(AuthFailure reason, String message) {
    super(message, null, true, false);
    this.reason = reason;
  }

  /** Why the frame was refused. */
  public AuthFailure reason() {
    return reason;
  }
}
