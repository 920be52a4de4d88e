package io.github.ringleader.messaging.session;

import org.jspecify.annotations.Nullable;

/** What a client asks of its server. */
public sealed interface ClientRequest
    permits ClientRequest.Hello,
        ClientRequest.Send,
        ClientRequest.ListUsers,
        ClientRequest.Bye,
        ClientRequest.ListServers,
        ClientRequest.Resume {

  /**
   * Join the cluster as {@code name}; answered by {@link ServerEvent.Welcome} or {@link
   * ServerEvent.Refused}. {@code credential} proves who the client is, for a server that requires
   * authentication (null: none shown).
   */
  record Hello(String name, @Nullable Credential credential) implements ClientRequest {
    /** A hello without a credential. */
    public Hello(String name) {
      this(name, null);
    }

    /** The same hello without its credential (what a server passes on once it has checked it). */
    public Hello withoutCredential() {
      return new Hello(name);
    }
  }

  /**
   * Send {@code text} to everyone ({@code to} null) or to the client named {@code to}. {@code
   * seq} numbers the session's sends from 1, one by one; the server answers {@link
   * ServerEvent.Accepted} or {@link ServerEvent.Rejected} with the same number.
   */
  record Send(long seq, @Nullable String to, String text) implements ClientRequest {}

  /** Ask who is connected; answered by {@link ServerEvent.Users}. */
  record ListUsers() implements ClientRequest {}

  /** Leave. */
  record Bye() implements ClientRequest {}

  /**
   * Ask which servers the cluster has and how loaded they are; answered by {@link
   * ServerEvent.Servers}. Allowed before {@link Hello}, so that a client can pick a server before
   * it joins.
   */
  record ListServers() implements ClientRequest {}

  /**
   * Take up session {@code session} of {@code name} again, on this server, after losing the
   * connection to another (or this) one; answered by {@link ServerEvent.Resumed} or, once the
   * session has ended, {@link ServerEvent.Refused} with {@link ServerEvent.Reason#SESSION_ENDED}.
   * {@code epoch} and {@code seq} are the position of the last event with a position (a {@link
   * ServerEvent.Welcome}, {@link ServerEvent.Resumed} or {@link ServerEvent.Message}) that the
   * client received: the server sends again every message for the client after it. {@code token}
   * is the secret of the session from its {@link ServerEvent.Welcome}: without it, the session
   * cannot be resumed. {@code credential}, as in {@link Hello}: a server that requires
   * authentication refuses a resume without one, whatever the token.
   */
  record Resume(
      String name,
      long session,
      long epoch,
      long seq,
      ResumeToken token,
      @Nullable Credential credential)
      implements ClientRequest {
    /** A resume without a credential. */
    public Resume(String name, long session, long epoch, long seq, ResumeToken token) {
      this(name, session, epoch, seq, token, null);
    }

    /** A resume without the session's token (which the server refuses). */
    public Resume(String name, long session, long epoch, long seq) {
      this(name, session, epoch, seq, ResumeToken.NONE, null);
    }

    /** The same resume without its credential. */
    public Resume withoutCredential() {
      return new Resume(name, session, epoch, seq, token, null);
    }
  }
}
