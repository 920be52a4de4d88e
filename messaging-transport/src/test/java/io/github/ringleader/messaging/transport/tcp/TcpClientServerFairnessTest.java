package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;
import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.readOne;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.session.ClientLink;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Fair turns across clients, over real sockets, against a fake node that is one FIFO for every
 * client — as the real pipeline is (event loop, forward to the leader, sequencer) — and that the
 * test drains itself, one send at a time, so what is counted does not depend on timing: flooders
 * fill the server's budget and wait, a quiet client sends one message, and the test counts the
 * flooders' sends the "sequencer" takes before the quiet one's.
 */
class TcpClientServerFairnessTest {
  private static final int FLOODERS = 8;
  /** Each flooder's sends: more than its own window, so it always has one more waiting. */
  private static final int SENDS_EACH = 300;

  /** One send as the fake node queued it, with the link to answer it on. */
  private record Queued(String from, long seq, ClientLink link) {}

  /** The fake node's single queue for every client, in the order the server handed sends on. */
  private final ConcurrentLinkedQueue<Queued> sequencerQueue = new ConcurrentLinkedQueue<>();

  /** The links of the ListUsers the fake node has not answered (it answers when told to). */
  private final ConcurrentLinkedQueue<ClientLink> unansweredQueries = new ConcurrentLinkedQueue<>();

  private final List<Socket> sockets = new ArrayList<>();
  private @Nullable TcpClientServer started;

  private TcpClientServer server() {
    return Objects.requireNonNull(started, "start the server first");
  }

  private void start(TcpServerConfig.Builder config) throws IOException {
    started = TcpClientServer.start(
        config.host("127.0.0.1").port(0).build(), link -> new TcpClientServer.ClientHandler() {
          private String name = "?";

          @Override
          public void request(ClientRequest request) {
            if (request instanceof ClientRequest.Hello hello) {
              name = hello.name();
              link.send(new ServerEvent.Welcome(hello.name(), 1, NodeId.of("server1")));
            } else if (request instanceof ClientRequest.Send send) {
              sequencerQueue.add(new Queued(name, send.seq(), link));
            } else if (request instanceof ClientRequest.ListUsers) {
              unansweredQueries.add(link);
            }
          }

          @Override
          public void closed() {}
        });
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
    TcpClientServer server = started;
    if (server != null) {
      server.close();
    }
  }

  private Socket join(String name) throws IOException {
    Socket socket = new Socket();
    sockets.add(socket);
    socket.connect(new InetSocketAddress("127.0.0.1", server().localPort()), 2000);
    socket.setSoTimeout(5000);
    socket.getOutputStream().write(ClientCodec.encodeRequest(new ClientRequest.Hello(name)));
    assertThat(readOne(socket)).isInstanceOf(ServerEvent.Welcome.class);
    return socket;
  }

  private static void sendAll(Socket socket, String to, int count) throws IOException {
    ByteArrayOutputStream frames = new ByteArrayOutputStream();
    for (int seq = 1; seq <= count; seq++) {
      frames.write(ClientCodec.encodeRequest(new ClientRequest.Send(seq, to, "x")));
    }
    socket.getOutputStream().write(frames.toByteArray());
  }

  /**
   * The flooders' sends the fake sequencer takes, one at a time and answering each, before the
   * quiet client's send, counted from when the server has read that send (it is in the queue, or
   * waits for its turn).
   */
  private int floodersSequencedBeforeTheQuietOne() throws IOException {
    for (int f = 1; f <= FLOODERS; f++) {
      sendAll(join("flood" + f), "flood" + f, SENDS_EACH);
    }
    await(
        () -> "every flooder waits (window or turn): " + server().stats(),
        () -> server().stats().pausedNow() == FLOODERS);
    Socket quiet = join("quiet");
    sendAll(quiet, "quiet", 1);
    await(
        () -> "the server has read the quiet client's send: " + server().stats(),
        () -> sequencerQueue.stream().anyMatch(q -> q.from().equals("quiet"))
            || server().stats().pausedNow() == FLOODERS + 1);

    int before = 0;
    while (true) {
      await(() -> "the server hands on a send", () -> !sequencerQueue.isEmpty());
      Queued next = Objects.requireNonNull(sequencerQueue.poll());
      if (next.from().equals("quiet")) {
        next.link().send(new ServerEvent.Accepted(next.seq()));
        return before;
      }
      before++;
      assertThat(before).as("flooder sends sequenced").isLessThanOrEqualTo(FLOODERS * SENDS_EACH);
      next.link().send(new ServerEvent.Accepted(next.seq()));
    }
  }

  @Test
  void aQuietClientsSendWaitsBehindTheBudgetAndOneTurnPerFlooderNotBehindEveryFloodersWindow()
      throws Exception {
    int budget = 16;
    start(TcpServerConfig.builder().maxInFlightSendsAllClients(budget));

    int before = floodersSequencedBeforeTheQuietOne();

    // The documented bound: the budget in flight, then one turn of each connection waiting
    // ahead. First come first served, it was every flooder's whole window: 8 × 256 = 2,048.
    assertThat(before).isLessThanOrEqualTo(budget + FLOODERS);
    assertThat(server().stats().pausedForTurn()).isGreaterThanOrEqualTo(FLOODERS + 1);
  }

  @Test
  void withTheDefaultBudgetTheBoundIsTheBudgetPlusOnePerFlooder() throws Exception {
    start(TcpServerConfig.builder().maxInFlightSends(200));
    // 8 flooders × 200 = 1,600 would be in flight first come first served; the budget is 1,024.
    int before = floodersSequencedBeforeTheQuietOne();
    assertThat(before)
        .isLessThanOrEqualTo(TcpServerConfig.DEFAULT_MAX_IN_FLIGHT_SENDS_ALL_CLIENTS + FLOODERS);
  }

  @Test
  void withoutTheBudgetItIsFirstComeFirstServed() throws Exception {
    start(TcpServerConfig.builder().maxInFlightSendsAllClients(0));
    int before = floodersSequencedBeforeTheQuietOne();
    // Each flooder's window of 256 is in the queue ahead: what the budget exists to prevent.
    assertThat(before).isEqualTo(FLOODERS * TcpServerConfig.DEFAULT_MAX_IN_FLIGHT_SENDS);
    assertThat(server().stats().pausedForTurn()).isZero();
  }

  @Test
  void everySendIsHandedOnOnceAndInEachSendersOrder() throws Exception {
    start(TcpServerConfig.builder().maxInFlightSendsAllClients(4));
    List<Socket> senders = new ArrayList<>();
    for (int f = 1; f <= 3; f++) {
      senders.add(join("s" + f));
    }
    for (int f = 1; f <= 3; f++) {
      sendAll(senders.get(f - 1), "s" + f, 50);
    }
    long[] last = new long[4];
    for (int taken = 0; taken < 150; taken++) {
      await(() -> "the server hands on a send", () -> !sequencerQueue.isEmpty());
      Queued next = Objects.requireNonNull(sequencerQueue.poll());
      int sender = Integer.parseInt(next.from().substring(1));
      assertThat(next.seq()).as("%s's next send", next.from()).isEqualTo(last[sender] + 1);
      last[sender] = next.seq();
      assertThat(server().stats().open()).isEqualTo(3);
      next.link().send(new ServerEvent.Accepted(next.seq()));
    }
    assertThat(last).containsExactly(0, 50, 50, 50);
    assertThat(sequencerQueue).isEmpty();
  }

  @Test
  void aClientRepeatingOtherRequestsHasAtMostEightInTheNodesQueue() throws Exception {
    start(TcpServerConfig.builder());
    Socket asker = join("asker");
    byte[] list = ClientCodec.encodeRequest(new ClientRequest.ListUsers());
    ByteArrayOutputStream frames = new ByteArrayOutputStream();
    for (int i = 0; i < 50; i++) {
      frames.write(list);
    }
    asker.getOutputStream().write(frames.toByteArray());
    int bound = TcpClientServer.MAX_OTHER_REQUESTS_IN_FLIGHT;
    await(
        () ->
            "the server stops reading at " + bound + " unanswered: " + server().stats(),
        () -> unansweredQueries.size() == bound && server().stats().pausedNow() == 1);

    Objects.requireNonNull(unansweredQueries.poll()).send(new ServerEvent.Users(List.of("asker")));
    assertThat(readOne(asker)).isEqualTo(new ServerEvent.Users(List.of("asker")));
    await(
        () -> "one answer lets exactly one more through: " + unansweredQueries.size(),
        () -> unansweredQueries.size() == bound && server().stats().pausedForInFlight() == 2);
    // Decoded: the Hello, the nine handed on, the one held; the other 40 wait in the socket.
    assertThat(server().stats().framesIn()).isEqualTo(1 + bound + 2);
  }
}
