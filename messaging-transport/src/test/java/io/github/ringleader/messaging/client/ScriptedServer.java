package io.github.ringleader.messaging.client;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.CodecException;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A one-server "cluster" on 127.0.0.1 (port 0) that speaks the client protocol by script, for the
 * SDK's tests: it lists itself, welcomes every hello as a new session at position 0 (nothing
 * delivered yet, so the session cannot be resumed), swallows sends unless told to accept them,
 * answers a goodbye with one, and refuses a resume as SESSION_ENDED. A test sends events to the
 * latest connection ({@link #send}) and drops every connection ({@link #dropConnections}) as a
 * crashed server would.
 */
final class ScriptedServer implements AutoCloseable {
  static final NodeId ID = NodeId.of("server1");

  private final ServerSocket listening;
  private final Thread acceptor;
  private final List<Peer> peers = new CopyOnWriteArrayList<>();
  private final AtomicLong sessions = new AtomicLong();
  /** Every request received, in order, from every connection. */
  final List<ClientRequest> requests = new CopyOnWriteArrayList<>();

  private volatile boolean acceptSends;

  ScriptedServer() throws IOException {
    listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = new Thread(this::acceptLoop, "scripted-server-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return listening.getLocalPort();
  }

  /** From now on, sends are accepted (by default they are swallowed, never answered). */
  void acceptSends() {
    acceptSends = true;
  }

  /** How many connections were made (probes and joins alike). */
  int connections() {
    return peers.size();
  }

  /** Sends {@code event} over the latest connection. */
  void send(ServerEvent event) throws IOException {
    Peer latest = peers.get(peers.size() - 1);
    latest.send(event);
  }

  /** Closes every connection, as a server that crashed. */
  void dropConnections() {
    peers.forEach(Peer::close);
  }

  @Override
  public void close() throws IOException {
    listening.close();
    dropConnections();
  }

  private ServerEvent.Servers servers() {
    return new ServerEvent.Servers(
        ID, List.of(new ServerEvent.ServerInfo(ID, "127.0.0.1", port(), 0, 100, true)));
  }

  private void acceptLoop() {
    while (!listening.isClosed()) {
      try {
        Peer peer = new Peer(listening.accept());
        peers.add(peer);
        Thread reader = new Thread(peer::readLoop, "scripted-server-peer-" + peers.size());
        reader.setDaemon(true);
        reader.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private final class Peer {
    private final Socket socket;
    private final OutputStream out;

    Peer(Socket socket) throws IOException {
      this.socket = socket;
      this.out = socket.getOutputStream();
    }

    synchronized void send(ServerEvent event) throws IOException {
      out.write(ClientCodec.encodeEvent(event));
      out.flush();
    }

    void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
    }

    void readLoop() {
      try (DataInputStream in = new DataInputStream(socket.getInputStream())) {
        while (true) {
          ClientRequest request = read(in);
          requests.add(request);
          @Nullable ServerEvent answer = answer(request);
          if (answer != null) {
            send(answer);
          }
          if (request instanceof ClientRequest.Bye) {
            close();
            return;
          }
        }
      } catch (IOException | CodecException e) {
        close(); // the client left, or the test dropped the connection
      }
    }

    private @Nullable ServerEvent answer(ClientRequest request) {
      if (request instanceof ClientRequest.ListServers) {
        return servers();
      } else if (request instanceof ClientRequest.Hello hello) {
        return new ServerEvent.Welcome(hello.name(), sessions.incrementAndGet(), ID, 1, 0);
      } else if (request instanceof ClientRequest.Send send) {
        return acceptSends ? new ServerEvent.Accepted(send.seq()) : null;
      } else if (request instanceof ClientRequest.Resume) {
        return new ServerEvent.Refused(
            ServerEvent.Reason.SESSION_ENDED, "this server keeps no sessions", null);
      } else if (request instanceof ClientRequest.Bye) {
        return new ServerEvent.Goodbye("bye");
      }
      return null;
    }

    private ClientRequest read(DataInputStream in) throws IOException, CodecException {
      byte[] prefix = new byte[ClientCodec.LENGTH_PREFIX_BYTES];
      in.readFully(prefix);
      int length = ClientCodec.frameLength(prefix, 0, prefix.length);
      byte[] frame = new byte[length];
      System.arraycopy(prefix, 0, frame, 0, prefix.length);
      in.readFully(frame, prefix.length, length - prefix.length);
      return ClientCodec.decodeRequest(frame);
    }
  }
}
