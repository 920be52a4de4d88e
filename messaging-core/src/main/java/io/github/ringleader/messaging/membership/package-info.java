/**
 * Membership: the heartbeat failure detector and the view of live servers and their load, as a
 * pure state machine driven by heartbeats and time.
 */
@NullMarked
package io.github.ringleader.messaging.membership;

import org.jspecify.annotations.NullMarked;
