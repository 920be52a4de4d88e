package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.metrics.NodeMetrics;
import io.github.ringleader.messaging.node.MemberInfo;
import io.github.ringleader.messaging.node.NodeId;
import java.util.List;

/**
 * The {@code /status} document: one node's view of the cluster as JSON. Its fields are a contract
 * (a dashboard reads them): fields may be added, never renamed. See docs/operations.md.
 */
final class StatusJson {
  private StatusJson() {}

  static String render(NodeMetrics m, List<NodeTimeline.Event> events, long nowMillis) {
    StringBuilder out = new StringBuilder(1024);
    NodeId leader = m.leader();
    out.append('{');
    Json.string(out.append("\"node\":"), m.node().value());
    Json.string(out.append(",\"cluster\":"), m.cluster());
    Json.string(out.append(",\"state\":"), m.state().name());
    Json.string(out.append(",\"leader\":"), leader == null ? null : leader.value());
    out.append(",\"term\":").append(m.term());
    out.append(",\"isLeader\":").append(m.isLeader());
    out.append(",\"time\":").append(nowMillis);
    out.append(",\"uptimeMillis\":").append(m.uptimeNanos() / 1_000_000);
    out.append(",\"members\":[");
    boolean first = true;
    for (MemberInfo member : m.members()) {
      if (!first) {
        out.append(',');
      }
      first = false;
      Json.string(out.append("{\"id\":"), member.id().value());
      out.append(",\"clients\":").append(member.clients());
      out.append(",\"capacity\":").append(member.capacity());
      out.append(",\"self\":").append(member.id().equals(m.node()));
      out.append(",\"leader\":").append(member.id().equals(leader));
      Json.string(
          out.append(",\"clientAddress\":"),
          member.clientPort() == 0 || member.clientHost().isEmpty()
              ? null
              : member.clientHost() + ":" + member.clientPort());
      out.append(",\"incarnation\":").append(member.incarnation());
      out.append('}');
    }
    out.append(']');
    out.append(",\"clients\":{\"connected\":").append(m.clientsConnected());
    out.append(",\"heldSessions\":").append(m.heldSessions()).append('}');
    out.append(",\"messages\":{\"accepted\":").append(m.messagesAccepted());
    out.append(",\"delivered\":").append(m.messagesDelivered());
    Json.number(out.append(",\"acceptedPerSecond\":"), m.acceptedPerSecond());
    Json.number(out.append(",\"deliveredPerSecond\":"), m.deliveredPerSecond());
    out.append(",\"received\":").append(m.messagesReceived());
    Json.number(out.append(",\"receivedPerSecond\":"), m.receivedPerSecond());
    out.append('}');
    out.append(",\"events\":[");
    first = true;
    for (NodeTimeline.Event event : events) {
      if (!first) {
        out.append(',');
      }
      first = false;
      out.append("{\"time\":").append(event.time());
      Json.string(out.append(",\"kind\":"), event.kind());
      Json.string(out.append(",\"member\":"), event.member());
      out.append(",\"term\":").append(event.term());
      Json.string(out.append(",\"text\":"), event.text());
      out.append('}');
    }
    out.append("]}");
    return out.toString();
  }
}
