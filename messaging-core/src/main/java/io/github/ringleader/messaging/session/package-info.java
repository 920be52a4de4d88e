/**
 * The client protocol, independent of TCP: what a client asks of its server ({@link
 * io.github.ringleader.messaging.session.ClientRequest}) and what the server tells it ({@link
 * io.github.ringleader.messaging.session.ServerEvent}), and the link between them.
 */
@NullMarked
package io.github.ringleader.messaging.session;

import org.jspecify.annotations.NullMarked;
