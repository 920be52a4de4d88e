package io.github.ringleader.messaging.node;

import io.github.ringleader.messaging.auth.AuthAttempt;
import io.github.ringleader.messaging.auth.AuthDecision;
import io.github.ringleader.messaging.auth.Authenticator;
import io.github.ringleader.messaging.auth.ClientAuthFailure;
import io.github.ringleader.messaging.auth.FailureThrottle;
import io.github.ringleader.messaging.loop.EventLoop;
import io.github.ringleader.messaging.routing.ClientNames;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.Credential;
import io.github.ringleader.messaging.session.ServerEvent;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLongArray;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stands between a node's client connections and its router when the node requires
 * authentication: a connection's Hello or Resume goes to the {@link Authenticator} first, and
 * reaches the router (without its credential) only if allowed; otherwise the client is refused
 * with the decision's code and words and disconnected.
 *
 * <p>The check runs off the event loop (the authenticator's contract); its answer comes back to
 * the loop. Before it starts, the {@link FailureThrottle} may make it wait (on the loop's
 * scheduler, so virtual time in a simulation). Requests that arrive on the connection meanwhile
 * are held, in order, and handed on after the answer — except sends, which the router refuses
 * before a welcome anyway and so are handed on at once, and user lists, which a client that has
 * not signed in gets empty. Each refusal is counted by {@link
 * ClientAuthFailure} and logged to {@code ringleader.audit} (the first of each reason, then every
 * 100th) with the address, user and name, never the secret. The credential is cleared once
 * decided.
 *
 * <p>Loop-only, except {@link #failures()}.
 */
final class ClientAuthGate {
  private static final Logger audit = LoggerFactory.getLogger("ringleader.audit");

  /** Requests held behind an undecided sign-in, at most; more is a protocol error. */
  static final int MAX_HELD = 64;

  /** What a door opens onto: the node's handling of one connection. */
  interface Target {
    /** Whether the connection (and the node) still take requests. */
    boolean open();

    /** Handles a request as a node without authentication would. */
    void handle(ClientRequest request);

    /** Refuses the connection's join with {@code code} and {@code text}, and closes it. */
    void refuse(ServerEvent.Reason code, String text);

    /** Sends {@code event} to the connection's client. */
    void answer(ServerEvent event);
  }

  private final Authenticator authenticator;
  private final EventLoop loop;
  private final FailureThrottle throttle;
  private final AtomicLongArray failures = new AtomicLongArray(ClientAuthFailure.values().length);

  ClientAuthGate(Authenticator authenticator, EventLoop loop, FailureThrottle throttle) {
    this.authenticator = authenticator;
    this.loop = loop;
    this.throttle = throttle;
  }

  /** A door for one connection from {@code peer}. */
  Door door(String peer, Target target) {
    return new Door(peer, target);
  }

  /** Refusals by reason, keyed {@code client_<reason>} in lower case (every reason present). */
  Map<String, Long> failures() {
    Map<String, Long> byReason = new TreeMap<>();
    for (ClientAuthFailure failure : ClientAuthFailure.values()) {
      byReason.put(
          "client_" + failure.name().toLowerCase(Locale.ROOT), failures.get(failure.ordinal()));
    }
    return byReason;
  }

  /** One connection's way in. */
  final class Door {
    private final String peer;
    private final Target target;
    private boolean checking;
    private boolean admitted;
    private boolean shut;
    private final ArrayDeque<ClientRequest> held = new ArrayDeque<>();

    private Door(String peer, Target target) {
      this.peer = peer;
      this.target = target;
    }

    /** The connection's next request, on the loop. */
    void onRequest(ClientRequest request) {
      if (shut) {
        clear(request);
        return;
      }
      if (!admitted && request instanceof ClientRequest.Send) {
        // Not held: the router refuses a send before the client is welcomed in any case, and a
        // send held behind a slow (throttled) sign-in would keep its transport's share of the
        // server's send budget, which a client without a password must not be able to pin.
        target.handle(request);
        return;
      }
      if (!admitted && request instanceof ClientRequest.ListUsers) {
        // Who is connected is for signed-in users only: a list of names is a list of targets.
        target.answer(new ServerEvent.Users(List.of()));
        return;
      }
      if (checking) {
        if (held.size() >= MAX_HELD) {
          shut = true;
          target.refuse(
              ServerEvent.Reason.PROTOCOL_ERROR,
              MAX_HELD + " requests came before the sign-in was answered");
          held.forEach(Door::clear);
          held.clear();
          clear(request);
        } else {
          held.add(request);
        }
        return;
      }
      if (!admitted
          && (request instanceof ClientRequest.Hello || request instanceof ClientRequest.Resume)) {
        start(request);
      } else {
        target.handle(stripped(request));
      }
    }

    /** The connection is gone: a check under way is answered to nobody. */
    void onClosed() {
      shut = true;
      held.forEach(Door::clear);
      held.clear();
    }

    private void start(ClientRequest request) {
      checking = true;
      Credential credential = credentialOf(request);
      String userKey = credential == null ? "" : ClientNames.key(credential.user());
      long waitNanos = credential == null ? 0 : throttle.attempt(peer, userKey, loop.nanoTime());
      if (waitNanos > 0) {
        loop.schedule(waitNanos, () -> check(request, userKey));
      } else {
        check(request, userKey);
      }
    }

    private void check(ClientRequest request, String userKey) {
      if (shut || !target.open()) {
        clear(request);
        return;
      }
      CompletionStage<AuthDecision> stage;
      try {
        stage = authenticator.authenticate(
            new AuthAttempt(nameOf(request), credentialOf(request), peer));
      } catch (RuntimeException e) {
        audit.warn("client sign-in from {}: the authenticator failed: {}", peer, e.toString());
        decided(request, userKey, null);
        return;
      }
      stage.whenComplete((decision, error) -> {
        if (error != null) {
          audit.warn(
              "client sign-in from {}: the authenticator failed: {}", peer, error.toString());
        }
        loop.execute(() -> decided(request, userKey, error == null ? decision : null));
      });
    }

    private void decided(ClientRequest request, String userKey, @Nullable AuthDecision answer) {
      clear(request);
      checking = false;
      AuthDecision decision = answer != null
          ? answer
          : AuthDecision.refuse(
              ClientAuthFailure.ERROR, "", "the server could not check the credential");
      ClientAuthFailure failure = decision.failure();
      if (failure == null) {
        throttle.succeeded(peer, userKey);
        if (shut || !target.open()) {
          return;
        }
        admitted = true;
        target.handle(stripped(request));
        while (!held.isEmpty() && !shut && !checking) {
          onRequest(held.poll());
        }
        return;
      }
      long count = failures.incrementAndGet(failure.ordinal());
      if (count == 1 || count % 100 == 0) {
        audit.warn(
            "client sign-in refused ({}, {} so far): from {}, user \"{}\", name {}",
            failure,
            count,
            peer,
            decision.user(),
            nameOf(request));
      }
      held.forEach(Door::clear);
      held.clear();
      if (!shut && target.open()) {
        shut = true;
        target.refuse(failure.refusal(), decision.reason());
      }
    }

    private static @Nullable Credential credentialOf(ClientRequest request) {
      if (request instanceof ClientRequest.Hello hello) {
        return hello.credential();
      }
      if (request instanceof ClientRequest.Resume resume) {
        return resume.credential();
      }
      return null;
    }

    private static String nameOf(ClientRequest request) {
      if (request instanceof ClientRequest.Hello hello) {
        return hello.name();
      }
      if (request instanceof ClientRequest.Resume resume) {
        return resume.name();
      }
      return "";
    }

    /** The request as the router gets it: without a credential, which is cleared. */
    private static ClientRequest stripped(ClientRequest request) {
      clear(request);
      if (request instanceof ClientRequest.Hello hello && hello.credential() != null) {
        return hello.withoutCredential();
      }
      if (request instanceof ClientRequest.Resume resume && resume.credential() != null) {
        return resume.withoutCredential();
      }
      return request;
    }

    private static void clear(ClientRequest request) {
      Credential credential = credentialOf(request);
      if (credential != null) {
        credential.clear();
      }
    }
  }
}
