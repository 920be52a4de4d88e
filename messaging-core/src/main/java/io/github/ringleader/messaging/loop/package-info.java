/** The event loop that owns a node's state and time: one thread of control, no locks. */
@NullMarked
package io.github.ringleader.messaging.loop;

import org.jspecify.annotations.NullMarked;
