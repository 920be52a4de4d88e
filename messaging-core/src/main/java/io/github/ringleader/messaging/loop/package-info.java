/**
 * The event loop that owns a node's state and time: one thread of control, no locks; and {@link
 * io.github.ringleader.messaging.loop.Ticking}, the contract of every timed part it wakes.
 */
@NullMarked
package io.github.ringleader.messaging.loop;

import org.jspecify.annotations.NullMarked;
