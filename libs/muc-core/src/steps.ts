// Several changes in one decision, each seeing the room as the previous ones left it.
import { decision } from "./decision.js";
import { applyMutations } from "./room.js";
import type { Decision, Effect, Mutation, Room } from "./types.js";

export type Step = (room: Room) => Decision;

export function inSteps(room: Room, steps: readonly Step[], last: Effect[] = []): Decision {
  const mutations: Mutation[] = [];
  const effects: Effect[] = [];
  let current = room;
  for (const step of steps) {
    const out = step(current);
    mutations.push(...out.mutations);
    effects.push(...out.effects);
    current = applyMutations(current, out.mutations, current.version);
  }
  return decision(mutations, [...effects, ...last]);
}
