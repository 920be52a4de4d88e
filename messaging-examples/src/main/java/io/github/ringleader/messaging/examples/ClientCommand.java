package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.client.ClientSession;
import io.github.ringleader.messaging.client.ClientRequest;
import io.github.ringleader.messaging.client.ServerEvent;
import io.github.ringleader.messaging.protocol.NodeId;
import io.github.ringleader.messaging.routing.ClientNames;
import io.github.ringleader.messaging.transport.tcp.JoinRefusedException;
import io.github.ringleader.messaging.transport.tcp.MessagingClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import org.jspecify.annotations.Nullable;

/**
 * {@code client <name> <host> <port>}: joins the cluster through one server and reads commands
 * from standard input, as in the usage guide. Works the same with a pipe and a file: the prompt
 * is shown only on a terminal.
 */
final class ClientCommand {
  static final String COMMANDS =
      "commands:\n"
          + "  send <text>                send to everyone\n"
          + "  send <user> <text>         send privately to <user>, a connected user\n"
          + "  users                      list the connected users\n"
          + "  servers                    list the servers: address, clients/capacity, leader\n"
          + "  help                       show the commands\n"
          + "  quit                       leave\n";

  static final String USAGE =
      "usage: java -jar messaging-examples.jar client <name> <host> <port> [options]\n"
          + "\n"
          + "Joins the cluster as <name> through the server at <host>:<port>, or through a\n"
          + "less-loaded server that one names (see --no-balance).\n"
          + "<name>: 1-32 of letters, digits, '.', '_', '-', starting with a letter or digit;\n"
          + "unique in the cluster, ignoring case.\n"
          + "\n"
          + "options:\n"
          + "  --no-balance               join the given server even if another has more room\n"
          + "  --timeout <duration>       how long to wait for the server's answer (default 5s)\n"
          + "  --help                     show this help\n"
          + "\n"
          + COMMANDS;

  private ClientCommand() {}

  static int run(List<String> args, InputStream stdin, PrintStream out, PrintStream err) {
    if (args.contains("--help")) {
      out.print(USAGE);
      return 0;
    }
    String name;
    String host;
    int port;
    Duration timeout = Duration.ofSeconds(5);
    boolean balance = true;
    try {
      List<String> positional = new java.util.ArrayList<>();
      for (int i = 0; i < args.size(); i++) {
        String arg = args.get(i);
        if (arg.equals("--no-balance")) {
          balance = false;
        } else if (arg.equals("--timeout")) {
          if (i + 1 >= args.size()) {
            throw new UsageException("--timeout needs a value");
          }
          timeout = Durations.parse("--timeout", args.get(++i));
        } else if (arg.startsWith("--")) {
          throw new UsageException("unknown option " + arg);
        } else {
          positional.add(arg);
        }
      }
      if (positional.size() != 3) {
        throw new UsageException(
            "client takes <name>, <host> and <port>, got " + positional.size() + " argument(s): " + positional);
      }
      name = positional.get(0);
      String problem = ClientNames.problemWith(name);
      if (problem != null) {
        throw new UsageException("<name>: " + problem);
      }
      host = positional.get(1);
      port = ClusterOptions.integer("<port>", positional.get(2), 1, 65535);
    } catch (UsageException e) {
      return e.report(err, USAGE);
    }

    Set<String> users = new ConcurrentSkipListSet<>(String.CASE_INSENSITIVE_ORDER);
    Printer printer = new Printer(name, host, port, out, users);
    MessagingClient client;
    try {
      client =
          MessagingClient.builder()
              .address(host, port)
              .name(name)
              .listener(printer)
              .timeout(timeout)
              .balance(balance)
              .connect();
    } catch (JoinRefusedException e) {
      err.println("error: " + e.getMessage());
      return 1;
    } catch (IOException e) {
      err.println("error: cannot join through " + host + ":" + port + ": " + e.getMessage());
      return 1;
    }
    try {
      // Know who is connected before reading commands: "send bob ..." is private only if bob is.
      client.listUsers();
      printer.awaitFirstUserList(timeout);
      return commands(client, printer, name, stdin, out, users);
    } catch (IOException e) {
      out.println("disconnected: " + e.getMessage());
      return 1;
    } finally {
      client.close();
    }
  }

  private static int commands(
      MessagingClient client,
      Printer printer,
      String name, InputStream stdin, PrintStream out, Set<String> users)
      throws IOException {
    boolean terminal = System.console() != null;
    BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
    while (true) {
      if (terminal) {
        out.print(name + "> ");
        out.flush();
      }
      String line = in.readLine();
      if (line == null || client.isClosed()) {
        return client.isClosed() ? 1 : 0;
      }
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] words = line.split("\\s+", 2);
      switch (words[0].toLowerCase(Locale.ROOT)) {
        case "send":
          if (words.length < 2) {
            out.println("usage: send <text>  or  send <user> <text>");
            break;
          }
          String[] rest = words[1].split("\\s+", 2);
          try {
            if (rest.length == 2 && users.contains(rest[0])) {
              client.send(rest[0], rest[1]);
            } else {
              client.send(words[1]);
            }
          } catch (IOException e) {
            if (client.isClosed()) {
              throw e;
            }
            out.println("not sent: " + e.getMessage()); // reconnecting; try again shortly
          }
          break;
        case "users":
          client.listUsers();
          break;
        case "servers":
          printer.printNextServers();
          client.listServers();
          break;
        case "help":
          out.print(COMMANDS);
          break;
        case "quit":
        case "exit":
          return 0;
        default:
          out.println("unknown command \"" + words[0] + "\"; type \"help\" for the commands");
      }
    }
  }

  /** Prints what the server sends, one line each. */
  private static final class Printer implements ClientSession.Listener {
    private final String self;
    private final String givenHost;
    private final int givenPort;
    private final PrintStream out;
    private final Set<String> users;
    private volatile boolean welcomed;
    private final java.util.concurrent.CountDownLatch firstUserList =
        new java.util.concurrent.CountDownLatch(1);

    private volatile ServerEvent.@Nullable Servers servers;
    private final java.util.concurrent.atomic.AtomicInteger serverListsToPrint =
        new java.util.concurrent.atomic.AtomicInteger();

    Printer(String self, String givenHost, int givenPort, PrintStream out, Set<String> users) {
      this.self = self;
      this.givenHost = givenHost;
      this.givenPort = givenPort;
      this.out = out;
      this.users = users;
    }

    void awaitFirstUserList(Duration timeout) {
      try {
        firstUserList.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    void printNextServers() {
      serverListsToPrint.incrementAndGet();
    }

    @Override
    public void onWelcome(ServerEvent.Welcome welcome) {
      welcomed = true;
      line("connected to " + welcome.server() + addressOf(welcome.server()));
      line("type \"help\" for the commands");
    }

    @Override
    public void onConnectionLost(String reason, List<ClientRequest.Send> unconfirmed) {
      // The unconfirmed messages are sent again when the session resumes; onSessionEnded says
      // if that cannot happen.
      line("connection lost: " + TerminalText.printable(reason) + "; reconnecting");
    }

    @Override
    public void onSessionEnded(String reason, List<ClientRequest.Send> unconfirmed) {
      line("the session could not be resumed (" + TerminalText.printable(reason) + "); joining again as " + self
          + " (messages sent to you meanwhile are lost)");
      for (ClientRequest.Send send : unconfirmed) {
        line("not confirmed (may not have been delivered): " + TerminalText.printable(send.text()));
      }
    }

    @Override
    public void onResumed(ServerEvent.Resumed resumed) {
      line("reconnected to " + resumed.server() + addressOf(resumed.server()));
      if (!resumed.complete()) {
        line("some messages sent to you while you were away could not be kept");
      }
    }

    @Override
    public void onReconnecting(int round, String lastError, Duration nextRoundWithin) {
      if (round == 1 || round % 10 == 0) {
        line("still reconnecting (attempt " + round + "): "
            + TerminalText.printable(lastError));
      }
    }

    @Override
    public void onReconnected(ServerEvent.Welcome welcome) {
      line("reconnected to " + welcome.server() + addressOf(welcome.server()));
    }

    @Override
    public void onServers(ServerEvent.Servers list) {
      servers = list;
      if (serverListsToPrint.getAndUpdate(n -> Math.max(0, n - 1)) == 0) {
        return; // news the server sent unasked: kept for the next "connected to" line
      }
      StringBuilder text = new StringBuilder("servers:");
      for (ServerEvent.ServerInfo server : list.servers()) {
        text.append(String.format(
            "%n  %-12s %-21s %d/%d clients%s%s",
            server.id(),
            address(server),
            server.clients(),
            server.capacity(),
            server.leader() ? "  leader" : "",
            server.id().equals(list.self()) ? "  (connected here)" : ""));
      }
      line(text.toString());
    }

    /** Where the client reached {@code server}: as the server list says, else as given. */
    private String addressOf(NodeId server) {
      ServerEvent.Servers list = servers;
      String listed =
          list == null
              ? null
              : list.server(server).filter(s -> s.port() > 0).map(this::address).orElse(null);
      return " (" + (listed != null ? listed : givenHost + ":" + givenPort) + ")";
    }

    private String address(ServerEvent.ServerInfo server) {
      return (server.host().isEmpty() ? givenHost : server.host()) + ":" + server.port();
    }

    private synchronized void line(String text) {
      out.println(text);
      out.flush();
    }

    @Override
    public void onMessage(ServerEvent.Message message) {
      if (message.to() != null) {
        line("[private] " + message.from() + ": " + TerminalText.printable(message.text()));
      } else {
        line(message.from() + ": " + TerminalText.printable(message.text()));
      }
    }

    @Override
    public void onRejected(ServerEvent.Rejected rejected) {
      line("not delivered: " + TerminalText.printable(rejected.reason()));
    }

    @Override
    public void onPresence(ServerEvent.Presence presence) {
      if (presence.joined()) {
        users.add(presence.name());
        line("* " + presence.name() + " joined");
      } else {
        users.remove(presence.name());
        line("* " + presence.name() + " left"
            + (presence.reason().equals("left") ? "" : " (" + TerminalText.printable(presence.reason()) + ")"));
      }
    }

    @Override
    public void onUsers(ServerEvent.Users list) {
      users.clear();
      users.addAll(list.names());
      Set<String> others = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
      others.addAll(list.names());
      line("users: " + String.join(", ", others));
      firstUserList.countDown();
    }

    @Override
    public void onClosed(@Nullable String reason) {
      if (!welcomed) {
        return; // a refused join: connect() reports it, once
      }
      line(reason == null ? "disconnected: the connection to the server broke" : "disconnected: " + reason);
    }

    @Override
    public String toString() {
      return "printer of " + self;
    }
  }
}
