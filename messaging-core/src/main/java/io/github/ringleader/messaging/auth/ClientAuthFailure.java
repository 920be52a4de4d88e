package io.github.ringleader.messaging.auth;

import io.github.ringleader.messaging.session.ServerEvent;

/**
 * Why a client's join or resume was refused by authentication, as counted in the node's metrics
 * ({@code authenticationFailures}, keys {@code client_} + the lower-case name). The client sees
 * only the {@link #refusal() refusal code} and the decision's words: an unknown user and a wrong
 * secret read the same to it.
 */
public enum ClientAuthFailure {
  /** The client showed no credential. */
  NO_CREDENTIAL(ServerEvent.Reason.NOT_AUTHENTICATED),
  /** No such user (checked against a dummy hash, so it takes as long as a wrong secret). */
  UNKNOWN_USER(ServerEvent.Reason.NOT_AUTHENTICATED),
  /** The user exists; the secret is wrong. */
  WRONG_SECRET(ServerEvent.Reason.NOT_AUTHENTICATED),
  /** The credential is right, but the user may not take the name asked for. */
  NAME_NOT_ALLOWED(ServerEvent.Reason.NOT_AUTHORIZED),
  /** Too many checks are under way: refused without checking; the client may try again. */
  BUSY(ServerEvent.Reason.BUSY),
  /** The authenticator failed (threw, or its stage failed). */
  ERROR(ServerEvent.Reason.NOT_AUTHENTICATED);

  private final ServerEvent.Reason refusal;

  ClientAuthFailure(ServerEvent.Reason refusal) {
    this.refusal = refusal;
  }

  /** The code the client's refusal carries. */
  public ServerEvent.Reason refusal() {
    return refusal;
  }

  /** Whether this failure counts against the peer and user for the {@link FailureThrottle}. */
  public boolean isStrike() {
    return this != BUSY && this != ERROR;
  }
}
