package io.github.ringleader.messaging.client;

import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.CodecException;
import io.github.ringleader.messaging.transport.tcp.TcpClientServer;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's first words with a server, before it joins: connect (TLS if asked), ask for the
 * server list, and read the answer, with a deadline and errors in words; and the small helpers
 * the client's connections share (reading one event, naming an address, describing a failure).
 * No state: {@link MessagingClient} decides where to go, this only goes there.
 */
final class ServerProbe {
  private static final Logger log = LoggerFactory.getLogger(ServerProbe.class);

  private ServerProbe() {}

  /** Tries each address in turn; the first that answers a server list is kept open. */
  static Probe firstAnswering(
      List<InetSocketAddress> addresses, Duration timeout, @Nullable ClientTls tls, long deadline)
      throws IOException {
    List<String> failures = new ArrayList<>();
    for (InetSocketAddress address : addresses) {
      if (System.nanoTime() - deadline >= 0) {
        failures.add(describe(address) + ": not tried, out of time");
        continue;
      }
      try {
        return probe(address, timeout, tls, deadline);
      } catch (IOException e) {
        failures.add(describe(address) + ": " + why(e));
      }
    }
    String tried = String.join("; ", failures);
    throw addresses.size() == 1
        ? new IOException("cannot connect to " + tried)
        : new IOException("cannot connect to any of " + addresses.size() + " servers: " + tried);
  }

  /** Connects and asks for the server list; the socket is left open and unread after it. */
  static Probe probe(
      InetSocketAddress unresolved, Duration timeout, @Nullable ClientTls tls, long deadline)
      throws IOException {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      InetSocketAddress address =
          new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
      if (address.isUnresolved()) {
        throw new IOException("unknown host " + unresolved.getHostString());
      }
      socket.connect(address, millisLeft(deadline, timeout));
      socket.setSoTimeout(millisLeft(deadline, timeout));
      if (tls != null) {
        socket = tls.handshake(socket, unresolved.getHostString(), unresolved.getPort());
      }
      OutputStream out = socket.getOutputStream();
      out.write(ClientCodec.encodeRequest(new ClientRequest.ListServers()));
      out.flush();
      ServerEvent event = readEvent(new DataInputStream(socket.getInputStream()));
      if (event instanceof ServerEvent.Goodbye goodbye) {
        if (goodbye.reason().equals(TcpClientServer.TLS_ONLY_GOODBYE)) {
          throw new IOException(
              "server " + describe(unresolved) + " speaks TLS; give the client a trust store"
                  + " (--tls-trust <pem>; MessagingClient.Builder.tls)");
        }
        throw new IOException("the server said goodbye: " + goodbye.reason());
      }
      if (!(event instanceof ServerEvent.Servers servers)) {
        throw new IOException("the server answered a server list with " + event);
      }
      socket.setSoTimeout(0);
      return new Probe(socket, unresolved, servers);
    } catch (SocketTimeoutException e) {
      closeQuietly(socket);
      throw new SocketTimeoutException("no answer within " + human(timeout));
    } catch (CodecException e) {
      closeQuietly(socket);
      throw new IOException("the server sent a malformed frame: " + e.getMessage(), e);
    } catch (javax.net.ssl.SSLException e) {
      closeQuietly(socket);
      if (tls == null || !(socket instanceof javax.net.ssl.SSLSocket)) {
        throw e; // the handshake failed, and ClientTls said why
      }
      throw new javax.net.ssl.SSLException(tls.explainAfterHandshake(e, describe(unresolved)), e);
    } catch (java.net.SocketException | EOFException e) {
      closeQuietly(socket);
      if (tls == null || !(socket instanceof javax.net.ssl.SSLSocket)) {
        throw e;
      }
      throw new IOException(tls.explainClosedAfterHandshake(e, describe(unresolved)), e);
    } catch (IOException | RuntimeException e) {
      closeQuietly(socket);
      throw e;
    }
  }

  private static int millisLeft(long deadline, Duration timeout) throws SocketTimeoutException {
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (left <= 0) {
      throw new SocketTimeoutException("no answer within " + human(timeout));
    }
    return (int) Math.min(Integer.MAX_VALUE, left);
  }

  /** An open connection to a server that has told its server list, before joining. */
  record Probe(Socket socket, InetSocketAddress address, ServerEvent.Servers servers) {
    /** Where to reach {@code server}: its announced host, else the host this probe reached. */
    InetSocketAddress addressOf(ServerEvent.ServerInfo server) {
      return reach(server, address.getHostString());
    }
  }

  /** Where to reach {@code server}: its announced host, else {@code knownHost}. */
  static InetSocketAddress reach(ServerEvent.ServerInfo server, String knownHost) {
    String host = server.host().isEmpty() ? knownHost : server.host();
    return InetSocketAddress.createUnresolved(host, server.port());
  }

  /** A duration as people write it: {@code 5 s}, {@code 500 ms}, {@code 1.5 s}, not {@code PT5S}. */
  static String human(Duration duration) {
    long millis = duration.toMillis();
    if (millis < 1000) {
      return millis + " ms";
    }
    return java.math.BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString() + " s";
  }

  /** What went wrong, in words: never {@code null} (an end of stream has no message). */
  static String why(IOException e) {
    if (e instanceof EOFException) {
      return "the server closed the connection";
    }
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  static String describe(InetSocketAddress address) {
    return address.getHostString() + ":" + address.getPort();
  }

  static ServerEvent readEvent(DataInputStream in) throws IOException, CodecException {
    byte[] prefix = new byte[ClientCodec.LENGTH_PREFIX_BYTES];
    in.readFully(prefix);
    int length = ClientCodec.frameLength(prefix, 0, prefix.length);
    byte[] frame = new byte[length];
    System.arraycopy(prefix, 0, frame, 0, prefix.length);
    in.readFully(frame, prefix.length, length - prefix.length);
    return ClientCodec.decodeEvent(frame);
  }

  static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      log.debug("closing a socket failed", e);
    }
  }
}
