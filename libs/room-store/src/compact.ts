// Compact stored forms: a record is stored as its differences from a fixed baseline, so an idle
// room keeps no bytes for what every room has (issue: Redis per idle federated room). The
// baselines are part of the stored format: never change a value in one (stored records would
// change meaning); a field added later falls back to the caller's defaults.
import type { FederationLink, Occupant, RoomConfig } from "@fedmuc/muc-core";

/** A room configuration's baseline: the configuration of a new room when this form began. */
export const CONFIG_BASELINE: RoomConfig = Object.freeze<RoomConfig>({
  name: "",
  description: "",
  persistent: false,
  public: true,
  membersOnly: false,
  moderated: false,
  password: "",
  maxUsers: 0,
  whois: "moderators",
  changeSubject: false,
  allowInvites: false,
  allowPm: "anyone",
  presenceBroadcast: ["moderator", "participant", "visitor"],
  maxHistory: 50,
});

/** An occupant's baseline (its nick is the hash field: not stored again). */
export const OCCUPANT_BASELINE: Partial<Occupant> = Object.freeze({
  role: "participant",
  affiliation: "none",
  presence: "<presence/>",
});

export const LINK_BASELINE: Partial<FederationLink> = Object.freeze({ replica: false });

/** The fields of `value` that differ from `baseline`, as JSON (`omit`: fields never stored). */
export function compact<T extends object>(
  value: T,
  baseline: Partial<T>,
  omit: readonly (keyof T)[] = [],
): string {
  const differs = Object.entries(value).filter(
    ([key, v]) =>
      v !== undefined &&
      !omit.includes(key as keyof T) &&
      JSON.stringify(v) !== JSON.stringify(baseline[key as keyof T]),
  );
  return JSON.stringify(Object.fromEntries(differs));
}

/** A stored record read back: `baseline` where it stored nothing (a record stored whole, as
 * earlier versions did, reads the same). */
export function expand<T>(json: string, baseline: Partial<T>): T {
  return { ...baseline, ...(JSON.parse(json) as Partial<T>) } as T;
}
