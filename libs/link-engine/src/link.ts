// A federation link: a local room and the peer room at the other end.

/** The BullMQ queue of the links' jobs, and the messaging destination of their spans. */
export const LINK_QUEUE = "fmuc-links";

export interface Link {
  /** The local room (bare JID). */
  readonly room: string;
  /** The peer room at the other end (bare JID). */
  readonly peer: string;
}

/** A name for the link in BullMQ job ids and maps; JIDs contain no space and BullMQ ids no ':'. */
export function linkJobId(link: Link): string {
  return `${link.room} ${link.peer}`;
}
