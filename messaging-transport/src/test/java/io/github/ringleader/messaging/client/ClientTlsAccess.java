package io.github.ringleader.messaging.client;

import java.io.IOException;
import java.net.Socket;
import javax.net.ssl.SSLSocket;

/** Lets the client-port tests in other packages drive the SDK's TLS handshake directly. */
public final class ClientTlsAccess {
  private ClientTlsAccess() {}

  public static SSLSocket handshake(ClientTls tls, Socket plain, String host, int port)
      throws IOException {
    return tls.handshake(plain, host, port);
  }
}
