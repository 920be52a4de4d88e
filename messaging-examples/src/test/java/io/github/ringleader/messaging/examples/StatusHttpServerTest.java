package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.client.MessageListener;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.ReceivedMessage;
import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.server.MessagingServer;
import io.github.ringleader.messaging.transport.udp.UdpMulticastTransport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The example server's HTTP endpoints, over real HTTP against servers on loopback: a cluster on
 * a free multicast port (TTL 0), clients and HTTP on 127.0.0.1 port 0.
 */
class StatusHttpServerTest {
  private static final Duration HEARTBEAT = Duration.ofMillis(100);

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final String cluster = "http-" + ProcessHandle.current().pid();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private record Served(MessagingServer server, NodeTimeline timeline, StatusHttpServer http) {
    String url(String path) {
      return "http://127.0.0.1:" + http.port() + path;
    }
  }

  private Served serve(String id, int mcastPort) throws Exception {
    NodeTimeline timeline = new NodeTimeline(System::currentTimeMillis);
    MessagingServer server = LoopbackServers.start(
        id,
        MessagingNode.builder()
            .clusterName(cluster)
            .heartbeatInterval(HEARTBEAT)
            .discoveryWindow(Duration.ofMillis(200))
            .clientHost("127.0.0.1")
            .listener(timeline),
        mcastPort,
        0);
    toClose.add(server);
    StatusHttpServer endpoints = StatusHttpServer.start(
        "127.0.0.1",
        0,
        new StatusHttpServer.Sources(
            server::metrics,
            timeline,
            server::clientStats,
            server::clusterStats,
            System::currentTimeMillis));
    toClose.add(endpoints);
    return new Served(server, timeline, endpoints);
  }

  private HttpResponse<String> request(String method, String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(@Nullable Object value) {
    assertThat(value).isInstanceOf(Map.class);
    return (Map<String, Object>) java.util.Objects.requireNonNull(value);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> objects(@Nullable Object value) {
    assertThat(value).isInstanceOf(List.class);
    List<Object> list = (List<Object>) java.util.Objects.requireNonNull(value);
    assertThat(list).allSatisfy(item -> assertThat(item).isInstanceOf(Map.class));
    return (List<Map<String, Object>>) (List<?>) list;
  }

  private HttpResponse<String> get(String url) throws Exception {
    return request("GET", url);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    assertThat(Waiting.until(condition, Duration.ofSeconds(10), 10))
        .as("waiting for " + what)
        .isTrue();
  }

  private boolean status(String url, int code) {
    try {
      return get(url).statusCode() == code;
    } catch (Exception e) {
      return false;
    }
  }

  /** Endpoints over a node that never starts: its transport opens no socket. */
  private StatusHttpServer serveUnstartedNode() throws java.io.IOException {
    MessagingNode node = MessagingNode.builder()
        .nodeId("server1")
        .transport(new UdpMulticastTransport())
        .build();
    toClose.add(node);
    StatusHttpServer endpoints = StatusHttpServer.start(
        "127.0.0.1",
        0,
        new StatusHttpServer.Sources(
            node::metrics, new NodeTimeline(() -> 0L), () -> null, () -> null, () -> 0L));
    toClose.add(endpoints);
    return endpoints;
  }

  @Test
  void anUnstartedNodeIsAliveButNotReady() throws Exception {
    StatusHttpServer endpoints = serveUnstartedNode();
    String base = "http://127.0.0.1:" + endpoints.port();

    HttpResponse<String> health = get(base + "/healthz");
    HttpResponse<String> ready = get(base + "/readyz");

    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("ok\n");
    assertThat(health.headers().firstValue("Content-Type")).contains("text/plain; charset=utf-8");
    assertThat(ready.statusCode()).isEqualTo(503);
    assertThat(ready.body()).isEqualTo("not ready: the node is NEW\n");
    PrometheusParser.parse(get(base + "/metrics").body()); // parses without a listener or transport
  }

  @Test
  void connectionsThatNeverFinishTheirRequestDoNotHangTheEndpoints() throws Exception {
    StatusHttpServer endpoints = serveUnstartedNode();
    // One more stalled connection than the server has threads: each sends a byte and stops.
    for (int i = 0; i < 3; i++) {
      java.net.Socket stalled =
          new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), endpoints.port());
      toClose.add(stalled);
      stalled.getOutputStream().write('G');
      stalled.getOutputStream().flush();
    }

    HttpResponse<String> health = http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoints.port() + "/healthz"))
            .timeout(Duration.ofSeconds(StatusHttpServer.REQUEST_SECONDS * 4L))
            .build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(health.statusCode()).isEqualTo(200);
  }

  @Test
  void aRunningLeaderIsReadyAndItsEndpointsAnswerOnlyGetAndHead() throws Exception {
    Served s = serve("server1", ClusterOptions.freeUdpPort());

    await(() -> status(s.url("/readyz"), 200), "ready");

    assertThat(get(s.url("/readyz")).body()).isEqualTo("ready\n");
    assertThat(get(s.url("/")).statusCode()).isEqualTo(200);
    assertThat(get(s.url("/")).headers().firstValue("Content-Type"))
        .contains("text/html; charset=utf-8");
    assertThat(get(s.url("/status")).headers().firstValue("Content-Type"))
        .contains("application/json");
    assertThat(get(s.url("/metrics")).headers().firstValue("Content-Type"))
        .contains("text/plain; version=0.0.4; charset=utf-8");
    assertThat(get(s.url("/nothing-here")).statusCode()).isEqualTo(404);
    assertThat(get(s.url("/status/")).statusCode()).isEqualTo(404);
    HttpResponse<String> head = request("HEAD", s.url("/status"));
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
      for (String path : List.of("/", "/healthz", "/readyz", "/metrics", "/status")) {
        HttpResponse<String> refused = request(method, s.url(path));
        assertThat(refused.statusCode()).as(method + " " + path).isEqualTo(405);
        assertThat(refused.headers().firstValue("Allow")).contains("GET, HEAD");
      }
    }
  }

  @Test
  void statusIsJsonInTheAgreedShapeAndFollowsTheCluster() throws Exception {
    int group = ClusterOptions.freeUdpPort();
    Served one = serve("server1", group);
    await(() -> one.server().node().isLeader(), "server1 leads alone");
    Served two = serve("server2", group);
    await(
        () -> "server2".equals(String.valueOf(one.server().node().leader()))
            && one.server().node().view().members().size() == 2,
        "server2 leads both");

    List<ReceivedMessage> received = new CopyOnWriteArrayList<>();
    MessageListener listener = new MessageListener() {
      @Override
      public void onMessage(ReceivedMessage message) {
        received.add(message);
      }
    };
    MessagingClient alice = MessagingClient.connect(
        "127.0.0.1", one.server().clientPort(), "alice", listener, Duration.ofSeconds(5));
    toClose.add(alice::close);
    MessagingClient bob = MessagingClient.connect(
        "127.0.0.1", two.server().clientPort(), "bob", listener, Duration.ofSeconds(5));
    toClose.add(bob::close);
    for (int i = 0; i < 5; i++) {
      alice.send("hello " + i);
    }
    await(() -> received.size() == 10, "both got 5 messages");
    await(() -> one.server().node().metrics().messagesAccepted() == 5, "5 accepted");

    Map<String, Object> status = object(JsonParser.parse(get(one.url("/status")).body()));

    assertThat(status)
        .containsKeys(
            "node",
            "cluster",
            "state",
            "leader",
            "term",
            "isLeader",
            "time",
            "uptimeMillis",
            "members",
            "clients",
            "messages",
            "events");
    assertThat(status.get("node")).isEqualTo("server1");
    assertThat(status.get("cluster")).isEqualTo(cluster);
    assertThat(status.get("state")).isEqualTo("RUNNING");
    assertThat(status.get("leader")).isEqualTo("server2");
    assertThat((Long) status.get("term")).isPositive();
    assertThat(status.get("isLeader")).isEqualTo(false);
    assertThat((Long) status.get("time"))
        .isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(60_000L));
    assertThat((Long) status.get("uptimeMillis")).isPositive();
    List<Map<String, Object>> members = objects(status.get("members"));
    assertThat(members).extracting(m -> m.get("id")).containsExactly("server1", "server2");
    Map<String, Object> self = members.get(0);
    assertThat(self)
        .containsEntry("clients", 1L)
        .containsEntry("capacity", 100L)
        .containsEntry("self", true)
        .containsEntry("leader", false)
        .containsEntry("clientAddress", "127.0.0.1:" + one.server().clientPort());
    assertThat(members.get(1)).containsEntry("self", false).containsEntry("leader", true);
    assertThat(status.get("clients")).isEqualTo(Map.of("connected", 1L, "heldSessions", 0L));
    Map<String, Object> messages = object(status.get("messages"));
    assertThat(messages).containsEntry("accepted", 5L).containsEntry("delivered", 5L);
    assertThat(messages.get("acceptedPerSecond")).isInstanceOf(Double.class);
    assertThat(messages.get("deliveredPerSecond")).isInstanceOf(Double.class);
    List<Map<String, Object>> events = objects(status.get("events"));
    assertThat(events).extracting(e -> e.get("kind")).contains("leader", "joined");
    assertThat(events)
        .filteredOn(e -> "joined".equals(e.get("kind")))
        .extracting(e -> e.get("member"))
        .containsExactly("server2");
    assertThat(events.get(events.size() - 1))
        .containsEntry("kind", "leader")
        .containsEntry("member", "server2");
    for (Map<String, Object> event : events) {
      assertThat(event).containsOnlyKeys("time", "kind", "member", "term", "text");
    }

    two.server().close();
    await(() -> one.server().node().view().members().size() == 1, "server2 gone");
    Map<String, Object> after = object(JsonParser.parse(get(one.url("/status")).body()));
    List<Map<String, Object>> later = objects(after.get("events"));
    assertThat(later).extracting(e -> e.get("kind")).contains("left");
  }

  @Test
  void metricsAreStrictPrometheusTextAndMoveWithTraffic() throws Exception {
    Served s = serve("server1", ClusterOptions.freeUdpPort());
    await(() -> status(s.url("/readyz"), 200), "ready");
    PrometheusParser before = PrometheusParser.parse(get(s.url("/metrics")).body());

    List<ReceivedMessage> received = new CopyOnWriteArrayList<>();
    MessagingClient alice = MessagingClient.connect(
        "127.0.0.1",
        s.server().clientPort(),
        "alice",
        new MessageListener() {
          @Override
          public void onMessage(ReceivedMessage message) {
            received.add(message);
          }
        },
        Duration.ofSeconds(5));
    toClose.add(alice::close);
    for (int i = 0; i < 3; i++) {
      alice.send("hi " + i);
    }
    alice.send("nobody", "are you there?");
    await(
        () -> received.size() == 3 && s.server().node().metrics().refusalsTotal() == 1,
        "3 delivered, 1 refused");
    PrometheusParser after = PrometheusParser.parse(get(s.url("/metrics")).body());

    for (PrometheusParser p : List.of(before, after)) {
      assertThat(p.types)
          .containsEntry("ringleader_messages_accepted_total", "counter")
          .containsEntry("ringleader_clients", "gauge")
          .containsEntry("ringleader_accept_latency_seconds", "histogram")
          .containsEntry("ringleader_refusals_total", "counter")
          .containsEntry("ringleader_cluster_frames_dropped_total", "counter")
          .containsEntry("ringleader_client_connections_open", "gauge")
          .containsEntry("ringleader_cluster_datagrams_received_total", "counter")
          .containsEntry("ringleader_cluster_datagrams_rejected_total", "counter");
      assertThat(p.samples)
          .allSatisfy(sample -> assertThat(sample.name()).matches(PrometheusParser.NAME));
    }
    assertThat(before.value("ringleader_messages_accepted_total")).isZero();
    assertThat(after.value("ringleader_messages_accepted_total")).isEqualTo(3);
    assertThat(after.value("ringleader_messages_delivered_total")).isEqualTo(3);
    assertThat(after.value("ringleader_clients")).isEqualTo(1);
    assertThat(after.value("ringleader_is_leader")).isEqualTo(1);
    assertThat(after.value(
            "ringleader_node_info", "node", "server1", "cluster", cluster, "state", "RUNNING"))
        .isEqualTo(1);
    assertThat(after.value("ringleader_refusals_total", "reason", "unknown_recipient"))
        .isEqualTo(1);
    assertThat(after.value("ringleader_client_connections_open")).isEqualTo(1);
    double count = after.value("ringleader_accept_latency_seconds_count");
    assertThat(count).isBetween(1.0, 3.0);
    assertThat(after.value("ringleader_accept_latency_seconds_bucket", "le", "+Inf"))
        .isEqualTo(count);
    assertThat(after.value("ringleader_accept_latency_seconds_bucket", "le", "10"))
        .isEqualTo(count);
    assertThat(after.value("ringleader_accept_latency_seconds_sum")).isPositive();
  }

  @Test
  void thePrometheusParserRefusesWhatIsNotTheFormat() {
    for (String bad : List.of(
        "x 1\n", // no TYPE
        "# HELP x h\n# TYPE x counter\nx 1\n", // a counter without _total
        "# HELP x_total h\n# TYPE x_total counter\n# TYPE x_total counter\nx_total 1\n",
        "# HELP 1x h\n# TYPE 1x gauge\n1x 1\n",
        "# HELP x h\n# TYPE x gauge\nx{a=\"b} 1\n",
        "# HELP x h\n# TYPE x gauge\nx one\n",
        "# TYPE x gauge\nx 1\n", // no HELP
        "# HELP x h\n# TYPE x gauge\nx 1")) { // no final line feed
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> PrometheusParser.parse(bad))
          .as(bad)
          .isInstanceOf(RuntimeException.class);
    }
  }
}
