/**
 * Deterministic simulation in virtual time, for Ringleader's own tests and for yours: a
 * {@link io.github.ringleader.messaging.sim.VirtualTimeScheduler}, a
 * {@link io.github.ringleader.messaging.sim.SimulatedNetwork} that loses, duplicates, delays,
 * reorders and partitions, and a {@link io.github.ringleader.messaging.sim.SimulatedCluster} of
 * real {@link io.github.ringleader.messaging.node.MessagingNode}s on it. One thread, no sleeps, and
 * every run replays exactly from its seed.
 */
@NullMarked
package io.github.ringleader.messaging.sim;

import org.jspecify.annotations.NullMarked;
