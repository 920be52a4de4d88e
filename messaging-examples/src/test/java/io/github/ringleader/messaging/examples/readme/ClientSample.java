package io.github.ringleader.messaging.examples.readme;

import io.github.ringleader.messaging.client.ConnectionListener;
import io.github.ringleader.messaging.client.MessageListener;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.ReceivedMessage;
import io.github.ringleader.messaging.client.SessionInfo;
import java.io.IOException;

/** README.md, "Connecting from your own code": compiled here, and run by ReadmeCodeSamplesTest. */
final class ClientSample {
  private ClientSample() {}

  static void run(String host, int port) throws IOException {
    // --- README: Connecting from your own code
    MessagingClient alice = MessagingClient.builder()
        .address(host, port) // any server; more addresses are tried in order
        .name("alice") // 1-32 of [A-Za-z0-9._-]
        .messageListener(new MessageListener() {
          @Override
          public void onMessage(ReceivedMessage m) {
            System.out.println(m.from() + ": " + m.text()); // m.to() == null: a broadcast
          }
        })
        .connectionListener(new ConnectionListener() {
          @Override
          public void onResumed(SessionInfo session, boolean complete) { // after a failover
            System.out.println("moved to " + session.server()
                + (complete ? ", nothing missed" : ", messages may be missing"));
          }
        })
        .connect(); // joins the least-loaded server (.balance(false): no)
    // JoinRefusedException: name taken, cluster full, ...
    alice.send("Hello everyone!").join(); // broadcast; the future completes once accepted
    alice
        .send("bob", "Hi Bob") // private; a refusal fails the future
        .whenComplete((ok, failed) -> System.out.println(failed == null ? "accepted" : failed));
    alice.publish("no answer needed"); // fire and forget: no future; failures: onPublishFailed
    alice.servers(); // the servers, their loads, the leader (kept current)
    alice.close();
    // --- end
  }
}
