/**
 * What a node measures about itself: the {@link io.github.ringleader.messaging.metrics.NodeMetrics}
 * snapshot, the building blocks that keep its counters cheap on the event loop ({@link
 * io.github.ringleader.messaging.metrics.LatencyHistogram}, {@link
 * io.github.ringleader.messaging.metrics.RateWindow}) and its JMX view ({@link
 * io.github.ringleader.messaging.metrics.NodeMetricsMXBean}). No dependency beyond the JDK; see
 * the "Monitoring" section of {@code docs/operations.md} for what each metric means.
 */
@NullMarked
package io.github.ringleader.messaging.metrics;

import org.jspecify.annotations.NullMarked;
