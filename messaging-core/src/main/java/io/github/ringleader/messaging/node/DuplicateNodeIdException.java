package io.github.ringleader.messaging.node;

/** A node refused to start because a running server of its cluster already has its id. */
public final class DuplicateNodeIdException extends Exception {
  private static final long serialVersionUID = 1L;

  private final NodeId nodeId;

  public DuplicateNodeIdException(NodeId nodeId, String cluster, long runningIncarnation) {
    super("node id "
        + nodeId
        + " is already in use in cluster '"
        + cluster
        + "': a running server with that id (incarnation "
        + runningIncarnation
        + ") answered this server's discovery. Stop that server or start this one with"
        + " another id.");
    this.nodeId = nodeId;
  }

  /** The id that is taken. */
  public NodeId nodeId() {
    return nodeId;
  }
}
