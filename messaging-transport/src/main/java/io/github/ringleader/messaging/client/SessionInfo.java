package io.github.ringleader.messaging.client;

/**
 * A client's session as its user sees it.
 *
 * @param name the name it joined as
 * @param id the session's id in the cluster; the same after a resume, a new one after joining
 *     afresh
 * @param server the id of the server it is connected to, e.g. {@code server2}
 */
public record SessionInfo(String name, long id, String server) {}
