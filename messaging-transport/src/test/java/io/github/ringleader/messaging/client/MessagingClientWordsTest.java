package io.github.ringleader.messaging.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What the client tells a person: durations as written, and never "null" for a reason. */
class MessagingClientWordsTest {
  @Test
  void durationsReadAsPeopleWriteThem() {
    assertThat(ServerProbe.human(Duration.ofSeconds(5))).isEqualTo("5 s");
    assertThat(ServerProbe.human(Duration.ofMillis(500))).isEqualTo("500 ms");
    assertThat(ServerProbe.human(Duration.ofMillis(1500))).isEqualTo("1.5 s");
    assertThat(ServerProbe.human(Duration.ofMinutes(2))).isEqualTo("120 s");
  }

  @Test
  void aFailureWithoutAMessageIsStillSaidInWords() {
    assertThat(ServerProbe.why(new EOFException())).isEqualTo("the server closed the connection");
    assertThat(ServerProbe.why(new SocketException())).isEqualTo("SocketException");
    assertThat(ServerProbe.why(new IOException("Connection refused")))
        .isEqualTo("Connection refused");
  }

  @Test
  void aServerThatClosesAtOnceIsNotReportedAsNull() throws Exception {
    try (java.net.ServerSocket closing =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Thread closer = new Thread(() -> {
        try {
          closing.accept().close();
        } catch (IOException e) {
          // the test is over
        }
      });
      closer.start();
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> MessagingClient.builder()
              .address("127.0.0.1", closing.getLocalPort())
              .name("alice")
              .timeout(Duration.ofSeconds(5))
              .connect())
          .isInstanceOf(IOException.class)
          .hasMessage("cannot connect to 127.0.0.1:" + closing.getLocalPort()
              + ": the server closed the connection");
      closer.join(5000);
    }
  }
}
