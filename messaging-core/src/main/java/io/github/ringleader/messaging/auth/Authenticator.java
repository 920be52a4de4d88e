package io.github.ringleader.messaging.auth;

import java.util.concurrent.CompletionStage;

/**
 * Decides whether a client may join (or resume) under the name it asks for: who it is (the
 * credential it shows) and whether that user may take that name.
 *
 * <p><b>Contract.</b> A node calls {@link #authenticate} on its event loop, so it must return at
 * once: any slow work (a password hash costs tens to hundreds of milliseconds) runs on the
 * authenticator's own threads, and the returned stage completes there (on any thread). It must
 * never log or keep the secret; the node clears the credential once the stage completes. A stage
 * that completes exceptionally counts as a refusal ({@link ClientAuthFailure#ERROR}).
 */
@FunctionalInterface
public interface Authenticator {
  /** Whether {@code attempt} may go ahead; see the class for the threading contract. */
  CompletionStage<AuthDecision> authenticate(AuthAttempt attempt);
}
