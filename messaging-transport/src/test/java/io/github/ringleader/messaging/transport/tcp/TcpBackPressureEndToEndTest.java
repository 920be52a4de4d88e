package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;
import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.readOne;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.server.MessagingServer;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * Back-pressure against a real node: one server over UDP on loopback, its TCP listener with the
 * default settings, and a client that pipelines, in one write, far more sends than the node keeps
 * unanswered before it answers BUSY.
 */
class TcpBackPressureEndToEndTest {
  @Test
  void aClientPipeliningFourTimesTheNodesBusyBoundHasEverySendAcceptedInOrder() throws Exception {
    TcpTestSupport.Recorder bob = new TcpTestSupport.Recorder();
    try (LoopbackCluster cluster =
            LoopbackCluster.builder("tcp-back-pressure").servers(1).start();
        Socket alice = new Socket()) {
      MessagingServer server = cluster.server(0);
      cluster.join(0, "bob", bob);
      alice.connect(new InetSocketAddress("127.0.0.1", server.clientPort()), 2000);
      alice.setSoTimeout((int) TcpTestSupport.WAIT.toMillis());
      alice.getOutputStream().write(ClientCodec.encodeRequest(new ClientRequest.Hello("alice")));
      assertThat(readOne(alice)).isInstanceOf(ServerEvent.Welcome.class);

      // All at once, in one write: the node answers BUSY beyond 1,024 unanswered.
      int total = 4096;
      ByteArrayOutputStream burst = new ByteArrayOutputStream();
      for (int i = 1; i <= total; i++) {
        burst.write(ClientCodec.encodeRequest(new ClientRequest.Send(i, null, "m" + i)));
      }
      alice.getOutputStream().write(burst.toByteArray());

      List<ServerEvent> answers = new ArrayList<>();
      while (answers.size() < total) {
        ServerEvent event = readOne(alice);
        if (event instanceof ServerEvent.Accepted || event instanceof ServerEvent.Rejected) {
          answers.add(event);
        }
      }
      assertThat(answers)
          .containsExactlyElementsOf(LongStream.rangeClosed(1, total)
              .mapToObj(ServerEvent.Accepted::new)
              .collect(Collectors.toList()));
      List<String> expected =
          LongStream.rangeClosed(1, total).mapToObj(i -> "m" + i).collect(Collectors.toList());
      await(() -> "bob has every message", () -> bob.messages.size() == total);
      assertThat(bob.messages.stream()
              .map(io.github.ringleader.messaging.client.ReceivedMessage::text))
          .containsExactlyElementsOf(expected);
    }
  }
}
