import { withCore } from '../../ts/policy/core';

/** Names of an arch's named constants (from the core's generated tables). */
export async function constantNames(arch: string): Promise<string[]> {
  const json = await withCore((c) => c.constantTable(arch));
  return json ? Object.keys(JSON.parse(json)) : [];
}
