package io.github.ringleader.messaging.client;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ServerEvent;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/** The server refused to let the client join: the name is taken or invalid, or it is full. */
public final class JoinRefusedException extends IOException {
  private static final long serialVersionUID = 1L;

  private final ServerEvent.Reason code;
  private final String reason;
  private final @Nullable NodeId redirect;

  JoinRefusedException(String name, ServerEvent.Refused refused) {
    super("server refused \"" + name + "\": " + refused.code() + ": " + refused.reason()
        + (refused.redirect() != null ? " (redirect to " + refused.redirect() + ")" : ""));
    this.code = refused.code();
    this.reason = refused.reason();
    this.redirect = refused.redirect();
  }

  /** Why, as a code: {@code NAME_TAKEN}, {@code INVALID_NAME}, {@code SERVER_FULL}, ... */
  public ServerEvent.Reason code() {
    return code;
  }

  /** Why, in the server's words. */
  public String reason() {
    return reason;
  }

  /** A server with room, when this one was full; null otherwise. */
  public @Nullable NodeId redirect() {
    return redirect;
  }
}
