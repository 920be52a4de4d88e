package io.github.ringleader.messaging.examples;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of {@code messaging-examples.jar}: {@code server}, {@code client}, {@code demo},
 * {@code bench}, {@code failover}, {@code keygen}, {@code adduser}.
 */
public final class Main {
  static final String USAGE = "usage: java -jar messaging-examples.jar <command> [arguments]\n"
      + "\n"
      + "commands:\n"
      + "  demo                       a 3-server cluster on this machine: election, leader crash,\n"
      + "                             re-election, clean stop; exits when done\n"
      + "  bench [opts]               load generator: a cluster on this machine, many clients,\n"
      + "                             throughput and latency report (see: bench --help)\n"
      + "  failover [opts]            failover measurement: a cluster on this machine, a server\n"
      + "                             crashed or stopped again and again, time until its clients\n"
      + "                             have resumed their sessions (see: failover --help)\n"
      + "  server <id> <port> [opts]  run one server (see: server --help)\n"
      + "  client <name> <host> <port>  join as <name> through a server (see: client --help)\n"
      + "  keygen                     print a new random cluster key: keygen > cluster.key\n"
      + "  adduser <file> <name>      add a client user to a users file for server --users,\n"
      + "                             password from standard input (see: adduser --help)\n"
      + "  --help                     show this help\n";

  private Main() {}

  public static void main(String[] args) {
    int status = run(Arrays.asList(args), System.out, System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  static int run(List<String> args, PrintStream out, PrintStream err) {
    return run(args, System.in, out, err);
  }

  /** As {@link #run(List, PrintStream, PrintStream)}, with {@code stdin} as standard input. */
  static int run(List<String> args, java.io.InputStream stdin, PrintStream out, PrintStream err) {
    if (args.isEmpty()) {
      err.println("error: no command given");
      err.println();
      err.print(USAGE);
      return 2;
    }
    String command = args.get(0);
    List<String> rest = args.subList(1, args.size());
    switch (command) {
      case "server":
        return ServerCommand.run(rest, out, err);
      case "demo":
        return DemoCommand.run(rest, out, err);
      case "bench":
        return BenchCommand.run(rest, out, err);
      case "failover":
        return FailoverCommand.run(rest, out, err);
      case "keygen":
        out.println(io.github.ringleader.messaging.transport.ClusterKey.generate(
                new java.security.SecureRandom())
            .signingKeyBase64());
        return 0;
      case "client":
        return ClientCommand.run(rest, stdin, out, err);
      case "adduser":
        return AddUserCommand.run(rest, stdin, out, err);
      case "--help":
      case "-h":
      case "help":
        out.print(USAGE);
        return 0;
      default:
        err.println("error: unknown command \"" + command + "\"");
        err.println();
        err.print(USAGE);
        return 2;
    }
  }
}
