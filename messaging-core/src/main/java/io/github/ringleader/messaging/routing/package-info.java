/**
 * Routing between clients across servers, with delivery guarantees: the leader sequences every
 * client request into one stream per epoch; servers deliver stable entries in stream order; a
 * flush at every leader or membership change carries delivered entries over into the next
 * epoch. See docs/delivery.md.
 */
@NullMarked
package io.github.ringleader.messaging.routing;

import org.jspecify.annotations.NullMarked;
