package io.github.ringleader.messaging.auth;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An {@link Authenticator}'s answer: allowed ({@code failure} null), or refused for {@code
 * failure} with {@code reason}, the words the client is shown (never the secret, and the same
 * words for an unknown user as for a wrong secret).
 *
 * @param user the user the client proved to be (allowed), or the one it claimed ("" if none)
 */
public record AuthDecision(@Nullable ClientAuthFailure failure, String user, String reason) {
  /** What a client is told for an unknown user or a wrong secret alike. */
  public static final String WRONG_CREDENTIAL = "wrong user name or secret";

  public AuthDecision {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(reason, "reason");
  }

  public static AuthDecision allow(String user) {
    return new AuthDecision(null, user, "");
  }

  public static AuthDecision refuse(ClientAuthFailure failure, String user, String reason) {
    return new AuthDecision(Objects.requireNonNull(failure, "failure"), user, reason);
  }

  public boolean allowed() {
    return failure == null;
  }

  /** The refusal for a client that showed no credential to a server that requires one. */
  public static AuthDecision noCredential() {
    return refuse(
        ClientAuthFailure.NO_CREDENTIAL,
        "",
        "this server requires a user name and password; none was given");
  }

  /** The refusal for a user that may not take {@code name}. */
  public static AuthDecision nameNotAllowed(String user, String name) {
    return refuse(
        ClientAuthFailure.NAME_NOT_ALLOWED,
        user,
        "user " + user + " may not take the name " + name);
  }
}
