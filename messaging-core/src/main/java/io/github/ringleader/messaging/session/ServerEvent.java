package io.github.ringleader.messaging.session;

import io.github.ringleader.messaging.node.NodeId;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** What a server tells one of its clients. */
public sealed interface ServerEvent
    permits ServerEvent.Welcome,
        ServerEvent.Refused,
        ServerEvent.Accepted,
        ServerEvent.Rejected,
        ServerEvent.Message,
        ServerEvent.Presence,
        ServerEvent.Users,
        ServerEvent.Goodbye,
        ServerEvent.Servers,
        ServerEvent.Resumed,
        ServerEvent.Position {

  /**
   * The client joined as {@code name} on {@code server}. {@code epoch} and {@code seq} are the
   * position of the join in the cluster's stream (see {@link ClientRequest.Resume}). {@code
   * token} is the session's secret, told to this client alone: it must show it to resume the
   * session.
   */
  record Welcome(String name, long session, NodeId server, long epoch, long seq, ResumeToken token)
      implements ServerEvent {
    /** A welcome without a token. */
    public Welcome(String name, long session, NodeId server, long epoch, long seq) {
      this(name, session, server, epoch, seq, ResumeToken.NONE);
    }

    /** A welcome without a position or a token (one that cannot be resumed from). */
    public Welcome(String name, long session, NodeId server) {
      this(name, session, server, 0, 0);
    }
  }

  /**
   * The client's session {@code session} continues on {@code server} ({@link
   * ClientRequest.Resume}). Its sends up to {@code lastSendSeq} (the client's numbers) were
   * sequenced: each will reach its recipients, and the client must not send them again; those
   * after it were not, and the client sends them again, with the same numbers. The messages for
   * the client since the position it gave follow this event, then new ones; {@code complete} is
   * false if the server no longer had some of them (they are lost for this client). {@code epoch}
   * and {@code seq} are the position of the resumption in the cluster's stream.
   */
  record Resumed(
      String name,
      long session,
      NodeId server,
      long lastSendSeq,
      long epoch,
      long seq,
      boolean complete)
      implements ServerEvent {}

  /**
   * The join was refused: {@code reason} says why in words. {@code redirect} names a server with
   * room when this one is full.
   */
  record Refused(Reason code, String reason, @Nullable NodeId redirect) implements ServerEvent {}

  /** Send {@code seq} was accepted: it will reach every connected recipient, once, in order. */
  record Accepted(long seq) implements ServerEvent {}

  /** Send {@code seq} was refused and will reach nobody. */
  record Rejected(long seq, Reason code, String reason) implements ServerEvent {}

  /**
   * A message from {@code from}: to everyone when {@code to} is null, else to this client.
   *
   * @param epoch with {@code seq}, its position in the cluster's stream, the same on every server
   *     (see {@link ClientRequest.Resume})
   * @param fromSession the sender's session
   * @param fromSeq the sender's number for it ({@link ClientRequest.Send#seq()}); a sender's
   *     numbers only grow, so a client that has had a higher one from that session has had this
   *     message (the cluster may send one again when every server that delivered it failed)
   */
  record Message(
      String from,
      @Nullable String to,
      String text,
      long epoch,
      long seq,
      long fromSession,
      long fromSeq)
      implements ServerEvent {
    /** A message without a position or sender numbers. */
    public Message(String from, @Nullable String to, String text) {
      this(from, to, text, 0, 0, 0, 0);
    }

    /** A message with a position but without sender numbers. */
    public Message(String from, @Nullable String to, String text, long epoch, long seq) {
      this(from, to, text, epoch, seq, 0, 0);
    }
  }

  /**
   * Everything for the client up to this stream position has been sent before this event: the
   * client's resume position moves here even when no message came (see {@link
   * ClientRequest.Resume}). Sent to a joined client with the answer to each {@link
   * ClientRequest.ListServers}, so that a client that pings knows a recent position, one that a
   * server which came up since its last message also has.
   */
  record Position(long epoch, long seq) implements ServerEvent {}

  /** {@code name} joined ({@code joined}) or left, with the reason for leaving. */
  record Presence(String name, boolean joined, String reason) implements ServerEvent {}

  /** The connected clients, by name. */
  record Users(List<String> names) implements ServerEvent {
    public Users {
      names = List.copyOf(names);
    }
  }

  /** The server ends the session, saying why; the link closes after this. */
  record Goodbye(String reason) implements ServerEvent {}

  /**
   * The live servers of the cluster, in ascending id order, with their load: the answer to {@link
   * ClientRequest.ListServers}, and sent unasked to joined clients when the servers, the leader or
   * the loads change (at most once per heartbeat interval for a change of load alone).
   *
   * @param self the server that sends the list (the one the client is connected to)
   * @param servers the live servers, {@code self} included
   */
  record Servers(NodeId self, List<ServerInfo> servers) implements ServerEvent {
    public Servers {
      servers = List.copyOf(servers);
    }

    /**
     * The server a client that is connected to {@link #self} should move to, or empty to stay:
     * the one with room and the lowest load (lowest id among equals), if its load is lower than
     * {@code self}'s. A client that is not counted yet (it has not joined) compares the loads as
     * listed, so it stays where the load is already lowest instead of moving back and forth.
     */
    public java.util.Optional<ServerInfo> lessLoadedThanSelf() {
      java.util.Optional<ServerInfo> best = servers.stream()
          .filter(ServerInfo::hasRoom)
          .min(
              java.util.Comparator.comparingDouble(ServerInfo::load).thenComparing(ServerInfo::id));
      java.util.Optional<ServerInfo> here = server(self);
      if (best.isEmpty() || best.get().id().equals(self)) {
        return java.util.Optional.empty();
      }
      if (here.isPresent()
          && here.get().hasRoom()
          && here.get().load() <= best.get().load()) {
        return java.util.Optional.empty();
      }
      return best;
    }

    /** The server {@code id}, if listed. */
    public java.util.Optional<ServerInfo> server(NodeId id) {
      return servers.stream().filter(s -> s.id().equals(id)).findFirst();
    }
  }

  /**
   * One server as a client sees it.
   *
   * @param id the server's id
   * @param host the host its clients reach it at, or empty if it does not say (use the host you
   *     reached any server of the cluster at)
   * @param port its client port (0: it takes no clients)
   * @param clients its connected clients
   * @param capacity the most clients it accepts
   * @param leader whether it is the leader
   */
  record ServerInfo(NodeId id, String host, int port, int clients, int capacity, boolean leader) {
    /** The fraction of capacity in use; a server with capacity 0 counts as full. */
    public double load() {
      return capacity <= 0 ? Double.POSITIVE_INFINITY : (double) clients / capacity;
    }

    /** Whether it accepts another client. */
    public boolean hasRoom() {
      return port > 0 && clients < capacity;
    }
  }

  /** Why something was refused. */
  enum Reason {
    /** The name breaks the naming rules. */
    INVALID_NAME,
    /** Another connected client has the name. */
    NAME_TAKEN,
    /** The server has no room; see the redirect. */
    SERVER_FULL,
    /** The recipient of a private message is not connected. */
    UNKNOWN_RECIPIENT,
    /** The text is longer than the limit, or otherwise unacceptable. */
    BAD_MESSAGE,
    /** The client broke the protocol (numbering, order of requests). */
    PROTOCOL_ERROR,
    /** The server cannot take more now; try again later. */
    BUSY,
    /**
     * The session to resume has ended (its grace period passed, or it never existed): join
     * afresh.
     */
    SESSION_ENDED,
    /**
     * The server requires authentication and the client showed no credential, or one that is
     * wrong (unknown user or wrong secret: the same words for both).
     */
    NOT_AUTHENTICATED,
    /** The client proved who it is, but that user may not take the name it asked for. */
    NOT_AUTHORIZED
  }
}
