package io.github.ringleader.messaging.client;

import io.github.ringleader.messaging.protocol.NodeId;
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
        ServerEvent.Goodbye {

  /** The client joined as {@code name} on {@code server}. */
  record Welcome(String name, long session, NodeId server) implements ServerEvent {}

  /**
   * The join was refused: {@code reason} says why in words. {@code redirect} names a server with
   * room when this one is full.
   */
  record Refused(Reason code, String reason, @Nullable NodeId redirect) implements ServerEvent {}

  /** Send {@code seq} was accepted: it will reach every connected recipient, once, in order. */
  record Accepted(long seq) implements ServerEvent {}

  /** Send {@code seq} was refused and will reach nobody. */
  record Rejected(long seq, Reason code, String reason) implements ServerEvent {}

  /** A message from {@code from}: to everyone when {@code to} is null, else to this client. */
  record Message(String from, @Nullable String to, String text) implements ServerEvent {}

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
    BUSY
  }
}
