package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.client.ClientTls;
import io.github.ringleader.messaging.client.JoinRefusedException;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.SendFailedException;
import io.github.ringleader.messaging.client.SendResult;
import io.github.ringleader.messaging.examples.ChatInput.Command;
import io.github.ringleader.messaging.examples.ClientConsole.Kind;
import io.github.ringleader.messaging.routing.ClientNames;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jline.terminal.Terminal;
import org.jspecify.annotations.Nullable;

/**
 * {@code client <name> <host> <port>}: joins the cluster through one server and reads commands,
 * as in the usage guide. On a terminal it offers line editing, history, completion and colour
 * ({@link TerminalConsole}); on a pipe or a file it reads and writes plain lines ({@link
 * PlainConsole}). Leaving by {@code quit}, end of input, Ctrl+C or SIGTERM says goodbye to the
 * server, so the name is free again at once.
 */
final class ClientCommand {
  static final String COMMANDS = "commands:\n"
      + "  send <text>                send to everyone\n"
      + "  send <user> <text>         send privately to <user>, a connected user\n"
      + "  msg <user> <text>          send privately to <user>, never to everyone\n"
      + "  all <text>                 send to everyone, whatever the first word\n"
      + "  users                      list the connected users\n"
      + "  servers                    list the servers: address, clients/capacity, leader\n"
      + "  help                       show the commands\n"
      + "  quit                       leave (so do Ctrl+D and Ctrl+C)\n"
      + "After each send a line says where it went: \"→ everyone\" or \"→ bob (private)\".\n";

  static final String USAGE =
      "usage: java -jar messaging-examples.jar client <name> <host> <port> [options]\n"
          + "\n"
          + "Joins the cluster as <name> through the server at <host>:<port>, or through a\n"
          + "less-loaded server that one names (see --no-balance).\n"
          + "<name>: 1-32 of letters (a-z, A-Z), digits, '.', '_', '-', starting with a letter\n"
          + "or digit; unique in the cluster, ignoring case.\n"
          + "\n"
          + "options:\n"
          + "  --no-balance               join the given server even if another has more room\n"
          + "  --timeout <duration>       how long to wait for the server's answer (default 5s)\n"
          + TlsOptions.CLIENT_HELP
          + AuthOptions.CLIENT_HELP
          + "  --help                     show this help\n"
          + "\n"
          + "On a terminal: line editing, history (up/down), Tab completes commands and user\n"
          + "names; colour unless NO_COLOR is set. On a pipe: plain lines in and out.\n"
          + "\n"
          + COMMANDS;

  /** Opens the console for user {@code name}; {@code users} gives the names to complete. */
  @FunctionalInterface
  interface ConsoleFactory {
    ClientConsole open(String name, Supplier<List<String>> users) throws IOException;
  }

  private ClientCommand() {}

  /**
   * Runs the client with commands from {@code stdin}. When these are the process's own standard
   * streams and both are a terminal, the client has a {@link TerminalConsole}; otherwise plain
   * lines.
   */
  static int run(List<String> args, InputStream stdin, PrintStream out, PrintStream err) {
    if (args.contains("--help")) {
      out.print(USAGE);
      return 0;
    }
    return run(
        args,
        (name, users) -> {
          if (stdin == System.in && out == System.out && TerminalConsole.onTerminal()) {
            Terminal terminal = TerminalConsole.systemTerminal();
            if (terminal != null) {
              return new TerminalConsole(terminal, name, users, System.getenv());
            }
          }
          return new PlainConsole(
              stdin,
              out,
              out == System.out ? PlainConsole.stdoutCharset() : StandardCharsets.UTF_8);
        },
        System.getenv(),
        err);
  }

  /** As {@link #run(List, InputStream, PrintStream, PrintStream)} with {@code env} as the environment (for tests). */
  static int run(
      List<String> args,
      InputStream stdin,
      PrintStream out,
      Map<String, String> env,
      PrintStream err) {
    return run(
        args, (name, users) -> new PlainConsole(stdin, out, StandardCharsets.UTF_8), env, err);
  }

  /** Runs the client on {@code terminal}, with {@code env} as the environment (for tests). */
  static int run(List<String> args, Terminal terminal, Map<String, String> env, PrintStream err) {
    return run(args, (name, users) -> new TerminalConsole(terminal, name, users, env), env, err);
  }

  private static int run(
      List<String> args, ConsoleFactory consoles, Map<String, String> env, PrintStream err) {
    Options options;
    AuthOptions auth = new AuthOptions();
    char @Nullable [] password;
    try {
      List<String> rest = new ArrayList<>(args);
      @Nullable ClientTls tls = TlsOptions.takeClientOptions(rest);
      auth.takeClientOptionsFrom(rest);
      options = Options.parse(rest);
      options.tls = tls;
      password = auth.scriptedPassword(env);
    } catch (UsageException e) {
      return e.report(err, USAGE);
    }
    ClientPrinter[] printer = new ClientPrinter[1];
    ClientConsole console;
    try {
      console =
          consoles.open(options.name, () -> printer[0] == null ? List.of() : printer[0].others());
    } catch (IOException e) {
      err.println("error: cannot open the terminal: " + e.getMessage());
      return 1;
    }
    try (console) {
      printer[0] = new ClientPrinter(options.name, options.host, options.port, console);
      return connectAndRun(options, auth, password, printer[0], console, err);
    } finally {
      if (password != null) {
        java.util.Arrays.fill(password, '\0');
      }
    }
  }

  private static MessagingClient connect(
      Options options, AuthOptions auth, char @Nullable [] password, ClientPrinter printer)
      throws IOException {
    MessagingClient.Builder builder = MessagingClient.builder()
        .address(options.host, options.port)
        .name(options.name)
        .listener(printer)
        .timeout(options.timeout)
        .balance(options.balance);
    ClientTls tls = options.tls;
    if (tls != null) {
      builder.tls(tls);
    }
    return (password == null ? builder : auth.applyTo(builder, options.name, password)).connect();
  }

  private static int connectAndRun(
      Options options,
      AuthOptions auth,
      char @Nullable [] scripted,
      ClientPrinter printer,
      ClientConsole console,
      PrintStream err) {
    MessagingClient joined;
    char @Nullable [] typed = null;
    try {
      try {
        joined = connect(options, auth, scripted, printer);
      } catch (JoinRefusedException e) {
        // A server with --users refuses a client that gave no password: ask for one, if there
        // is a terminal to ask on, and try once more.
        if (e.code() != io.github.ringleader.messaging.session.ServerEvent.Reason.NOT_AUTHENTICATED
            || scripted != null) {
          throw e;
        }
        typed = console.readSecret("password for " + auth.user(options.name) + ": ");
        if (typed == null) {
          err.println("error: " + e.getMessage());
          err.println("error: the server requires a password: give --password-file <file> or set "
              + AuthOptions.PASSWORD_VARIABLE);
          return 1;
        }
        joined = connect(options, auth, typed, printer);
      }
    } catch (JoinRefusedException e) {
      err.println("error: " + e.getMessage());
      return 1;
    } catch (IOException e) {
      String why = words(e);
      err.println("error: cannot join through " + options.host + ":" + options.port + ": " + why
          + (why.contains("Connection refused") ? " (is a server running on that port?)" : ""));
      return 1;
    } finally {
      if (typed != null) {
        java.util.Arrays.fill(typed, '\0');
      }
    }
    MessagingClient client = joined;
    // Ctrl+C outside the line editor, or SIGTERM: say goodbye, so the name is free at once
    // instead of held for the cluster's grace period.
    Thread leave = new Thread(
        () -> {
          client.close();
          console.close();
        },
        "client-leave");
    Runtime.getRuntime().addShutdownHook(leave);
    try {
      // Know who is connected before reading commands: "send bob ..." is private only if bob is.
      client.listUsers();
      printer.awaitFirstUserList(options.timeout);
      return commands(client, printer, console);
    } catch (IOException e) {
      console.show(Kind.PROBLEM, "disconnected: " + words(e));
      return 1;
    } finally {
      client.close();
      try {
        Runtime.getRuntime().removeShutdownHook(leave);
      } catch (IllegalStateException e) {
        // shutting down already: the hook does the same
      }
    }
  }

  private static int commands(MessagingClient client, ClientPrinter printer, ClientConsole console)
      throws IOException {
    while (true) {
      String line = console.readLine();
      if (line == null || client.isClosed()) {
        return client.isClosed() ? 1 : 0;
      }
      Command command = ChatInput.parse(line, printer::isConnected, printer::hasLeft);
      if (command instanceof ChatInput.Send send) {
        send(client, printer, console, send);
      } else if (command instanceof ChatInput.Users) {
        client.listUsers();
      } else if (command instanceof ChatInput.Servers) {
        printer.printNextServers();
        client.listServers();
      } else if (command instanceof ChatInput.Help) {
        console.show(Kind.STATUS, COMMANDS.stripTrailing());
      } else if (command instanceof ChatInput.Quit) {
        return 0;
      } else if (command instanceof ChatInput.Problem problem) {
        console.show(Kind.PROBLEM, problem.message());
      }
    }
  }

  private static void send(
      MessagingClient client, ClientPrinter printer, ClientConsole console, ChatInput.Send send)
      throws IOException {
    CompletableFuture<SendResult> sent;
    try {
      sent = client.send(send.to(), send.text());
    } catch (IllegalArgumentException e) {
      console.show(Kind.PROBLEM, "not sent: " + e.getMessage()); // text the protocol cannot carry
      return;
    }
    SendFailedException notSent = Answers.notSent(sent);
    if (notSent != null) {
      if (client.isClosed()) {
        throw new IOException("the client is closed", notSent);
      }
      console.show(
          Kind.PROBLEM, "not sent: " + notSent.reason()); // reconnecting; try again shortly
      return;
    }
    console.show(Kind.SENT, ChatInput.destination(console.arrow(), send));
    // A refusal comes later, on the client's event thread, in its place among the other news.
    // An unconfirmed message is told by onSessionEnded.
    sent.whenComplete((ok, failed) -> {
      SendFailedException rejected = Answers.rejection(failed);
      if (rejected != null) {
        printer.rejected(rejected);
      }
    });
  }

  /** What went wrong, never {@code null}. */
  private static String words(Exception e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  /** The command line. */
  private static final class Options {
    String name = "";
    String host = "";
    int port;
    Duration timeout = Duration.ofSeconds(5);
    boolean balance = true;

    @Nullable
    ClientTls tls;

    static Options parse(List<String> args) throws UsageException {
      Options options = new Options();
      List<String> positional = new ArrayList<>();
      for (int i = 0; i < args.size(); i++) {
        String arg = args.get(i);
        if (arg.equals("--no-balance")) {
          options.balance = false;
        } else if (arg.equals("--timeout")) {
          if (i + 1 >= args.size()) {
            throw new UsageException("--timeout needs a value");
          }
          options.timeout = Durations.parse("--timeout", args.get(++i));
        } else if (arg.startsWith("--")) {
          throw new UsageException("unknown option " + arg);
        } else {
          positional.add(arg);
        }
      }
      if (positional.size() != 3) {
        throw new UsageException("client takes <name>, <host> and <port>, got " + positional.size()
            + " argument(s): " + positional);
      }
      options.name = positional.get(0);
      @Nullable String problem = ClientNames.problemWith(options.name);
      if (problem != null) {
        throw new UsageException("<name>: " + problem);
      }
      options.host = positional.get(1);
      options.port = ClusterOptions.integer("<port>", positional.get(2), 1, 65535);
      return options;
    }
  }
}
