package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.node.MessagingNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fence between API and internals, as a user's project meets it: a small user module that
 * {@code requires io.github.ringleader.messaging.transport} is compiled with javac on a module path
 * made of the built core and transport modules (and their two run-time dependencies). Code using
 * the exported packages compiles; code importing routing, a codec or the PEM reader does not, with
 * javac's "not visible ... does not export" error.
 */
class ModuleFenceTest {

  private static final String MODULE_INFO =
      "module user.app { requires io.github.ringleader.messaging.transport; }\n";

  /** A server and a client written against the API only: node, configs, SDK, simulation. */
  private static final String USES_THE_API = """
      package user.app;

      import io.github.ringleader.messaging.client.MessagingClient;
      import io.github.ringleader.messaging.node.MemberInfo;
      import io.github.ringleader.messaging.node.MessagingNode;
      import io.github.ringleader.messaging.node.NodeConfig;
      import io.github.ringleader.messaging.node.NodeId;
      import io.github.ringleader.messaging.node.NodeListener;
      import io.github.ringleader.messaging.session.ServerEvent;
      import io.github.ringleader.messaging.sim.SimulatedCluster;
      import io.github.ringleader.messaging.transport.ClusterTransport;
      import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
      import io.github.ringleader.messaging.transport.udp.UdpMulticastTransport;
      import io.github.ringleader.messaging.transport.udp.UdpTransportConfig;
      import java.time.Duration;

      public final class App {
        public static MessagingNode server(int clientPort) {
          NodeConfig config = NodeConfig.builder()
              .nodeId("server1")
              .clientPort(clientPort)
              .heartbeatInterval(Duration.ofMillis(500))
              .build();
          ClusterTransport udp = new UdpMulticastTransport(UdpTransportConfig.builder().build());
          return MessagingNode.builder()
              .config(config)
              .transport(udp)
              .listener(new NodeListener() {
                @Override
                public void onMemberJoined(MemberInfo member) {
                  NodeId id = member.id();
                  System.out.println(id);
                }
              })
              .build();
        }

        public static MessagingClient.Builder client(int port) {
          TcpServerConfig.Builder tcp = TcpServerConfig.builder().port(port);
          return MessagingClient.builder().address("127.0.0.1", port).name("alice");
        }

        public static SimulatedCluster.Builder tester() {
          return SimulatedCluster.builder();
        }

        public static boolean isMessage(ServerEvent event) {
          return event instanceof ServerEvent.Message;
        }
      }
      """;

  @TempDir
  Path work;

  @Test
  void aUserModuleUsingTheExportedPackagesCompiles() throws IOException {
    List<Diagnostic<? extends JavaFileObject>> errors = compile("App.java", USES_THE_API);

    assertThat(errors).as(describe(errors)).isEmpty();
    assertThat(work.resolve("out/user/app/App.class")).exists();
  }

  @Test
  void aUserModuleCanWriteItsOwnClusterTransportAndKeyItsNode() throws IOException {
    // The cluster transport SPI carries opaque frames, so a transport written outside Ringleader
    // needs nothing internal; the cluster key is the node's, and works over it too.
    List<Diagnostic<? extends JavaFileObject>> errors = compile("Loopback.java", """
        package user.app;

        import io.github.ringleader.messaging.node.MessagingNode;
        import io.github.ringleader.messaging.node.NodeId;
        import io.github.ringleader.messaging.transport.ClusterKey;
        import io.github.ringleader.messaging.transport.ClusterTransport;
        import io.github.ringleader.messaging.transport.OutboundFrame;
        import java.security.SecureRandom;
        import java.util.Map;

        public final class Loopback implements ClusterTransport {
          private Receiver receiver = (data, offset, length, source) -> null;

          @Override
          public void start(Receiver receiver) {
            this.receiver = receiver;
          }

          @Override
          public void send(NodeId to, OutboundFrame frame) {
            sendToAll(frame);
          }

          @Override
          public void sendToAll(OutboundFrame frame) {
            byte[] bytes = frame.bytes(); // taken as it leaves: here, at once
            NodeId sender = receiver.onFrames(bytes, 0, bytes.length, "loopback");
            System.out.println(frame.type() + (sender == null ? " refused" : " from " + sender));
          }

          @Override
          public Map<String, Long> droppedFrames() {
            return Map.of("none_yet", 0L);
          }

          @Override
          public void close() {}

          public static MessagingNode node() {
            return MessagingNode.builder()
                .nodeId("server1")
                .clusterKey(ClusterKey.generate(new SecureRandom()))
                .transport(new Loopback())
                .build();
          }
        }
        """);

    assertThat(errors).as(describe(errors)).isEmpty();
    assertThat(work.resolve("out/user/app/Loopback.class")).exists();
  }

  @Test
  void aUserModuleImportingTheRouterIsRefusedBecauseCoreDoesNotExportRouting() throws IOException {
    List<Diagnostic<? extends JavaFileObject>> errors = compile("Peek.java", """
        package user.app;

        import io.github.ringleader.messaging.routing.Router;

        public final class Peek {
          Router router;
        }
        """);

    assertThat(messages(errors))
        .anySatisfy(m -> assertThat(m)
            .contains("package io.github.ringleader.messaging.routing is not visible")
            .contains("declared in module io.github.ringleader.messaging.core, which does not"
                + " export it"));
  }

  @Test
  void aUserModuleImportingACodecIsRefusedEvenThoughTheTransportModuleMayUseIt()
      throws IOException {
    List<Diagnostic<? extends JavaFileObject>> errors = compile("Decode.java", """
        package user.app;

        import io.github.ringleader.messaging.protocol.ClientCodec;

        public final class Decode {
          ClientCodec codec;
        }
        """);

    assertThat(messages(errors))
        .anySatisfy(m -> assertThat(m)
            .contains("package io.github.ringleader.messaging.protocol is not visible")
            .contains("declared in module io.github.ringleader.messaging.core")
            .contains("does not export it to module user.app"));
  }

  @Test
  void aUserModuleImportingTheTransportModulesPemReaderIsRefused() throws IOException {
    List<Diagnostic<? extends JavaFileObject>> errors = compile("Pem.java", """
        package user.app;

        import io.github.ringleader.messaging.transport.tls.PemFiles;

        public final class Pem {
          PemFiles files;
        }
        """);

    assertThat(messages(errors))
        .anySatisfy(m -> assertThat(m)
            .contains("package io.github.ringleader.messaging.transport.tls is not visible")
            .contains("declared in module io.github.ringleader.messaging.transport, which does not"
                + " export it"));
  }

  /** Compiles module-info plus one class of module user.app; returns javac's errors. */
  private List<Diagnostic<? extends JavaFileObject>> compile(String fileName, String source)
      throws IOException {
    Path src = work.resolve("src");
    Path pkg = Files.createDirectories(src.resolve("user/app"));
    Files.writeString(src.resolve("module-info.java"), MODULE_INFO, StandardCharsets.UTF_8);
    Files.writeString(pkg.resolve(fileName), source, StandardCharsets.UTF_8);
    Path out = Files.createDirectories(work.resolve("out"));

    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertThat(javac).as("this test needs a JDK, not a JRE").isNotNull();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager files =
        javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
      // An empty class path: otherwise javac takes this JVM's, where every package is readable.
      Path emptyClassPath = Files.createDirectories(work.resolve("empty"));
      List<String> options = List.of(
          "--release",
          "17",
          "-proc:none",
          "--module-path",
          modulePath(),
          "--class-path",
          emptyClassPath.toString(),
          "-d",
          out.toString());
      Iterable<? extends JavaFileObject> units =
          files.getJavaFileObjects(src.resolve("module-info.java"), pkg.resolve(fileName));
      javac.getTask(null, files, diagnostics, options, null, units).call();
    }
    List<Diagnostic<? extends JavaFileObject>> errors = new ArrayList<>();
    for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
      if (d.getKind() == Diagnostic.Kind.ERROR) {
        errors.add(d);
      }
    }
    return errors;
  }

  /**
   * The built modules exactly as a user's build would see them: the core's and the transport's
   * classes (directories in the reactor, jars otherwise) and their run-time dependencies.
   */
  private static String modulePath() {
    return java.util.stream.Stream.of(
            MessagingNode.class, // messaging-core
            MessagingClient.class, // messaging-transport
            org.jspecify.annotations.Nullable.class,
            org.slf4j.Logger.class)
        .map(ModuleFenceTest::location)
        .collect(Collectors.joining(java.io.File.pathSeparator));
  }

  private static String location(Class<?> type) {
    try {
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> messages(List<Diagnostic<? extends JavaFileObject>> errors) {
    return errors.stream().map(d -> d.getMessage(Locale.ROOT)).toList();
  }

  private static String describe(List<Diagnostic<? extends JavaFileObject>> errors) {
    return "javac errors: " + String.join("\n", messages(errors));
  }
}
