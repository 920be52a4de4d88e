package io.github.ringleader.messaging.examples;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * What the dashboard shows at one moment, read out of the live DOM in the browser (the page's
 * {@code data-*} attributes and the text a person sees), for the browser tests to assert on.
 *
 * @param status the connection state: {@code loading}, {@code live} or {@code unreachable}
 * @param polls how many polls of {@code /status} the page has finished
 * @param leader the leader the header names, "" for none
 * @param connection the connection indicator's text
 * @param servers the server list, live servers first, then those that failed or left
 * @param timeline the timeline, newest first
 */
record DashboardView(
    String status,
    int polls,
    String leader,
    String term,
    String connection,
    List<Server> servers,
    List<Event> timeline) {

  /** One entry of the server list: {@code state} is live, failed or left; {@code text} as shown. */
  record Server(String id, String state, boolean leader, String text) {}

  /** One entry of the timeline: {@code kind} joined, failed, left, election or leader. */
  record Event(String kind, @Nullable String member, String text) {}

  private static final String SCRIPT = """
      (() => {
        const text = (e) => (e ? e.textContent.replace(/\\s+/g, ' ').trim() : '');
        if (!document.getElementById('leader')) {
          return {status: 'not loaded (' + location.href + ')', polls: 0, leader: '', term: '', connection: '',
                  servers: [], timeline: []};
        }
        return {
          status: document.body.dataset.status || '',
          polls: Number(document.body.dataset.polls || 0),
          leader: document.getElementById('leader').dataset.leader || '',
          term: text(document.getElementById('term')),
          connection: text(document.getElementById('connection')),
          servers: [...document.querySelectorAll('#servers li[data-id]')].map((li) => ({
            id: li.dataset.id, state: li.dataset.state, leader: li.dataset.leader === 'true', text: text(li)})),
          timeline: [...document.querySelectorAll('#timeline li[data-kind]')].map((li) => ({
            kind: li.dataset.kind, member: li.dataset.member || null, text: text(li)})),
        };
      })()
      """;

  static DashboardView read(HeadlessChromium.Page page) {
    Map<String, @Nullable Object> v =
        HeadlessChromium.object(page.evaluate(SCRIPT), "the dashboard");
    List<Server> servers = HeadlessChromium.array(v.get("servers"), "servers").stream()
        .map(o -> HeadlessChromium.object(o, "server"))
        .map(m -> new Server(
            str(m.get("id")),
            str(m.get("state")),
            Boolean.TRUE.equals(m.get("leader")),
            str(m.get("text"))))
        .toList();
    List<Event> timeline = HeadlessChromium.array(v.get("timeline"), "timeline").stream()
        .map(o -> HeadlessChromium.object(o, "event"))
        .map(m -> new Event(
            str(m.get("kind")),
            m.get("member") == null ? null : str(m.get("member")),
            str(m.get("text"))))
        .toList();
    Object polls = v.get("polls");
    return new DashboardView(
        str(v.get("status")),
        polls instanceof Number n ? n.intValue() : 0,
        str(v.get("leader")),
        str(v.get("term")),
        str(v.get("connection")),
        servers,
        timeline);
  }

  private static String str(@Nullable Object o) {
    return o == null ? "" : String.valueOf(o);
  }

  List<String> liveServers() {
    return servers.stream()
        .filter(s -> s.state().equals("live"))
        .map(Server::id)
        .toList();
  }

  boolean hasEvent(String kind, String member) {
    return timeline.stream().anyMatch(e -> e.kind().equals(kind) && member.equals(e.member()));
  }

  boolean showsServer(String id, String state) {
    return servers.stream().anyMatch(s -> s.id().equals(id) && s.state().equals(state));
  }

  /** Several lines saying what is on the page, for a failure message. */
  @Override
  public String toString() {
    return "dashboard: " + status + " after " + polls + " polls (" + connection + "), leader '"
        + leader
        + "', term " + term + "\n  servers:\n"
        + servers.stream()
            .map(s -> "    [" + s.state() + (s.leader() ? ", leader" : "") + "] " + s.text())
            .collect(Collectors.joining("\n"))
        + "\n  timeline:\n"
        + timeline.stream().limit(20).map(e -> "    " + e.text()).collect(Collectors.joining("\n"));
  }
}
