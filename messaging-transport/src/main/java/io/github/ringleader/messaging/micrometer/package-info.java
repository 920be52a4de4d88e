/**
 * The optional Micrometer binding: {@link io.github.ringleader.messaging.micrometer.RingleaderMeterBinder}
 * binds a node's metrics (and its client listener's and cluster transport's counters) to a
 * {@code MeterRegistry}. Micrometer is an optional dependency: add {@code
 * io.micrometer:micrometer-core} yourself to use this package.
 */
@NullMarked
package io.github.ringleader.messaging.micrometer;

import org.jspecify.annotations.NullMarked;
