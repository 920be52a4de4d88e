/** The cluster protocol: node ids, the typed cluster messages and their binary codec. */
@NullMarked
package io.github.ringleader.messaging.protocol;

import org.jspecify.annotations.NullMarked;
