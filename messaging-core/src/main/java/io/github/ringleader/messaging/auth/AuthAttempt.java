package io.github.ringleader.messaging.auth;

import io.github.ringleader.messaging.session.Credential;
import org.jspecify.annotations.Nullable;

/**
 * One client's attempt to join or resume: the name it asks for, the credential it shows (null:
 * none) and where it comes from ({@code peer}: an IP address for a TCP client, for the audit log
 * and the failure throttle; never trusted for anything else).
 */
public record AuthAttempt(String name, @Nullable Credential credential, String peer) {}
