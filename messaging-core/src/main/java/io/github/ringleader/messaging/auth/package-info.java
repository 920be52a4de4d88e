/**
 * Client authentication and authorization: the pluggable {@link
 * io.github.ringleader.messaging.auth.Authenticator} a node asks before a client joins or
 * resumes, a ready {@link io.github.ringleader.messaging.auth.FileAuthenticator} over a users file
 * of PBKDF2 password hashes, and the {@link io.github.ringleader.messaging.auth.FailureThrottle}
 * that slows down repeated failures. See {@code docs/security.md}, "Client authentication".
 */
@NullMarked
package io.github.ringleader.messaging.auth;

import org.jspecify.annotations.NullMarked;
