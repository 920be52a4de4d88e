package io.github.ringleader.messaging.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.auth.AuthDecision;
import io.github.ringleader.messaging.auth.FailureThrottle;
import io.github.ringleader.messaging.loop.EventLoop;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.Credential;
import io.github.ringleader.messaging.session.ServerEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * What a connection may do before its sign-in is decided (found in review): its sends are not
 * held behind the check, where they would keep their transport's share of the server's send
 * budget, and it cannot list who is connected.
 */
class ClientAuthGateTest {
  /** A loop that runs everything at once, at time 0. */
  private static final class InlineLoop implements EventLoop {
    @Override
    public long nanoTime() {
      return 0;
    }

    @Override
    public long epochMillis() {
      return 0;
    }

    @Override
    public void execute(Runnable task) {
      task.run();
    }

    @Override
    public Cancellable schedule(long delayNanos, Runnable task) {
      task.run();
      return () -> {};
    }

    @Override
    public boolean inEventLoop() {
      return true;
    }

    @Override
    public void close() {}
  }

  private final List<ClientRequest> handled = new ArrayList<>();
  private final List<ServerEvent> answered = new ArrayList<>();
  private final CompletableFuture<AuthDecision> decision = new CompletableFuture<>();

  private final ClientAuthGate.Door door = new ClientAuthGate(
          attempt -> decision, new InlineLoop(), new FailureThrottle())
      .door("10.0.0.1", new ClientAuthGate.Target() {
        @Override
        public boolean open() {
          return true;
        }

        @Override
        public void handle(ClientRequest request) {
          handled.add(request);
        }

        @Override
        public void refuse(ServerEvent.Reason code, String text) {
          answered.add(new ServerEvent.Refused(code, text, null));
        }

        @Override
        public void answer(ServerEvent event) {
          answered.add(event);
        }
      });

  @Test
  void sendsDuringAnUndecidedSignInGoOnAtOnceAndTheHelloWaitsForTheAnswer() {
    door.onRequest(new ClientRequest.Hello("alice", new Credential("alice", "pw".toCharArray())));
    ClientRequest.Send send = new ClientRequest.Send(1, null, "early");
    door.onRequest(send);

    assertThat(handled).as("handed on before the sign-in is decided").containsExactly(send);

    decision.complete(AuthDecision.allow("alice"));
    assertThat(handled).hasSize(2);
    assertThat(handled.get(1)).isEqualTo(new ClientRequest.Hello("alice"));
  }

  @Test
  void aClientThatHasNotSignedInGetsAnEmptyUserList() {
    door.onRequest(new ClientRequest.ListUsers());

    assertThat(handled).isEmpty();
    assertThat(answered).containsExactly(new ServerEvent.Users(List.of()));
  }

  @Test
  void aSignedInClientsUserListGoesToTheRouter() {
    door.onRequest(new ClientRequest.Hello("alice", new Credential("alice", "pw".toCharArray())));
    decision.complete(AuthDecision.allow("alice"));
    door.onRequest(new ClientRequest.ListUsers());

    assertThat(handled).endsWith(new ClientRequest.ListUsers());
    assertThat(answered).isEmpty();
  }
}
