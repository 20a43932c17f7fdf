// XEP-0289: the rooms of one peer service share one S2S path (path.ts) and are acted on together
// by the operator (operator.ts): a link's peer service is the domain of its peer room's JID.
export const serviceOf = (peer: string): string => peer.split("/")[0]!.split("@").pop()!;
