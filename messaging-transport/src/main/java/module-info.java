/**
 * Ringleader's real I/O: the client SDK, the UDP multicast cluster transport, the TCP listener for
 * clients and the optional Micrometer binding. The packages exported here are the API; {@code
 * transport.tls} (PEM reading) is internal. See docs/architecture.md, "API and internals".
 */
// "requires-automatic": Micrometer has no module-info, only an Automatic-Module-Name.
@SuppressWarnings("requires-automatic")
module io.github.ringleader.messaging.transport {
  requires transitive io.github.ringleader.messaging.core;
  requires org.slf4j;
  // Optional at run time: only RingleaderMeterBinder uses it, for applications that run Micrometer.
  // Not transitive: that would make every user's compilation need Micrometer (ModuleFenceTest
  // found it). A user of RingleaderMeterBinder requires micrometer.core in their own module.
  requires static micrometer.core;

  exports io.github.ringleader.messaging.client; // MessagingClient, ClientTls
  exports io.github.ringleader.messaging.transport.tcp; // TcpClientServer, TcpServerConfig
  exports io.github.ringleader.messaging.transport.udp; // UdpMulticastTransport, its config
  exports io.github.ringleader.messaging.micrometer; // RingleaderMeterBinder
  exports io.github.ringleader.messaging.server; // MessagingServer
}
