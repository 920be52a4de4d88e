/**
 * {@link io.github.ringleader.messaging.node.MessagingNode}, the runtime that owns one server's
 * protocol state on a single event loop, with its configuration, listener and view.
 */
@NullMarked
package io.github.ringleader.messaging.node;

import org.jspecify.annotations.NullMarked;
