package io.github.ringleader.messaging.examples;

import java.util.Iterator;
import java.util.List;

/** The example server's {@code --http-port} and {@code --http-host}: where its read-only HTTP endpoints listen. */
final class HttpOptions {
  static final String HELP =
      "  --http-port <port>         serve /healthz /readyz /metrics /status over HTTP on <port>\n"
          + "                             (default 0: no HTTP); read-only, see docs/operations.md\n"
          + "  --http-host <address>      the address the HTTP endpoints listen on (default 127.0.0.1)\n";

  /** 0: no HTTP. */
  int port;

  String host = "127.0.0.1";

  /**
   * Takes these options out of {@code args} (in place) and keeps their values.
   *
   * @throws UsageException for a missing or bad value
   */
  void takeFrom(List<String> args) throws UsageException {
    for (Iterator<String> it = args.iterator(); it.hasNext(); ) {
      String option = it.next();
      if (!option.equals("--http-port") && !option.equals("--http-host")) {
        continue;
      }
      it.remove();
      String value = ClusterOptions.value(option, it);
      it.remove();
      if (option.equals("--http-port")) {
        port = ClusterOptions.integer(option, value, 0, 65535);
      } else if (value.isBlank()) {
        throw new UsageException("--http-host needs an address, e.g. 127.0.0.1 or 0.0.0.0");
      } else {
        host = value.trim();
      }
    }
  }

  boolean enabled() {
    return port != 0;
  }
}
