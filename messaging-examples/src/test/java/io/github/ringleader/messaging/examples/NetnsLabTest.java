package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link NetnsLab} itself: it builds its hosts inside namespaces of its own, adds nothing to the
 * namespace the test runs in, cuts and restores links, and leaves nothing behind — including
 * what a killed JVM left. Root on Linux only, like {@link NetnsClusterTest}.
 */
class NetnsLabTest {

  @BeforeAll
  static void needNamespaces() {
    String why = NetnsLab.unavailable();
    Assumptions.assumeTrue(why == null, () -> why);
  }

  @Test
  void aLabAddsNothingToThisNamespaceAndDeletesEverythingWhenClosed() throws Exception {
    String linksBefore = interfaceNames();
    String addressesBefore = addresses();
    List<String> namespaces;
    try (NetnsLab lab = NetnsLab.create(2)) {
      namespaces = lab.namespaces();
      assertThat(NetnsLab.listNamespaces()).containsAll(namespaces);
      assertThat(interfaceNames()).as("interfaces of this namespace").isEqualTo(linksBefore);
      assertThat(addresses()).as("addresses of this namespace").isEqualTo(addressesBefore);
      for (NetnsLab.Host host : lab.hosts()) {
        String veth = NetnsLab.run(
            List.of("ip", "-n", host.namespace, "-o", "addr", "show", NetnsLab.HOST_INTERFACE));
        assertThat(veth).contains("inet " + host.address + "/24");
        assertThat(NetnsLab.run(
                List.of("ip", "-n", host.namespace, "link", "show", NetnsLab.HOST_INTERFACE)))
            .contains("MULTICAST")
            .contains("LOWER_UP");
      }
      assertThat(lab.host(2).address).isEqualTo("10.201.0.2");
    }
    assertThat(NetnsLab.listNamespaces()).doesNotContainAnyElementsOf(namespaces);
    assertThat(interfaceNames()).isEqualTo(linksBefore);
  }

  @Test
  void aCutLinkLosesItsCarrierUntilRestored() throws Exception {
    try (NetnsLab lab = NetnsLab.create(1)) {
      NetnsLab.Host host = lab.host(1);
      List<String> show =
          List.of("ip", "-n", host.namespace, "link", "show", NetnsLab.HOST_INTERFACE);
      lab.cutLink(host);
      assertThat(NetnsLab.run(show)).contains("NO-CARRIER");
      lab.restoreLink(host);
      ServerProcesses.await(
          () -> {
            try {
              return NetnsLab.run(show).contains("LOWER_UP");
            } catch (java.io.IOException e) {
              return false;
            }
          },
          java.time.Duration.ofSeconds(5),
          "the carrier to come back");
    }
  }

  @Test
  void theNamespacesOfALabWhoseJvmIsGoneAreDeletedByTheNextLab() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    String stale = "rlnet-" + gone.pid() + "-beef-sw";
    NetnsLab.run(List.of("ip", "netns", "add", stale));
    try (NetnsLab lab = NetnsLab.create(1)) {
      assertThat(NetnsLab.listNamespaces()).doesNotContain(stale).containsAll(lab.namespaces());
    } finally {
      if (NetnsLab.listNamespaces().contains(stale)) {
        NetnsLab.run(List.of("ip", "netns", "delete", stale));
      }
    }
  }

  /** {@code <interface> <family> <address>} per address of this namespace (lifetimes left out). */
  private static String addresses() throws java.io.IOException {
    StringBuilder addresses = new StringBuilder();
    for (String line : NetnsLab.run(List.of("ip", "-o", "addr", "show")).split("\n")) {
      String[] fields = line.trim().split("\\s+");
      if (fields.length > 3) {
        addresses
            .append(fields[1])
            .append(' ')
            .append(fields[2])
            .append(' ')
            .append(fields[3])
            .append('\n');
      }
    }
    return addresses.toString();
  }

  private static String interfaceNames() throws java.io.IOException {
    StringBuilder names = new StringBuilder();
    for (String line : NetnsLab.run(List.of("ip", "-o", "link", "show")).split("\n")) {
      String[] fields = line.split(":\\s+", 3);
      if (fields.length > 1) {
        names.append(fields[1]).append('\n');
      }
    }
    return names.toString();
  }
}
