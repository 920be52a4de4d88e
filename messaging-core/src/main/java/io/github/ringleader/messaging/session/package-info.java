/**
 * The client protocol, independent of TCP: what a client asks of its server ({@link
 * io.github.ringleader.messaging.session.ClientRequest}) and what the server tells it ({@link
 * io.github.ringleader.messaging.session.ServerEvent}), the link between them, and where a client
 * goes ({@link io.github.ringleader.messaging.session.Placement}).
 */
@NullMarked
package io.github.ringleader.messaging.session;

import org.jspecify.annotations.NullMarked;
