/**
 * Leader election: the LeLann-Chang-Roberts ring algorithm with terms, acknowledged and
 * retransmitted tokens and ring repair, as a pure state machine.
 */
@NullMarked
package io.github.ringleader.messaging.election;

import org.jspecify.annotations.NullMarked;
