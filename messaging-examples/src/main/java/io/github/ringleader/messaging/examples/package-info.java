/** The example server, the demo, and their command-line parsing. */
@NullMarked
package io.github.ringleader.messaging.examples;

import org.jspecify.annotations.NullMarked;
