/** Collections come flat (parent_id); screens show them as a tree. */
export interface TreeEntry<T> {
  collection: T;
  depth: number;
  /** Ids from the root down to the parent. */
  ancestors: string[];
}

export function flattenTree<T extends { id: string; parent_id: string | null }>(collections: T[]): TreeEntry<T>[] {
  const children = new Map<string | null, T[]>();
  const known = new Set(collections.map((c) => c.id));
  for (const collection of collections) {
    // An orphan (its parent not visible here) shows at the top.
    const parent = collection.parent_id && known.has(collection.parent_id) ? collection.parent_id : null;
    children.set(parent, [...(children.get(parent) ?? []), collection]);
  }
  const out: TreeEntry<T>[] = [];
  const seen = new Set<string>();
  const walk = (parent: string | null, depth: number, ancestors: string[]) => {
    for (const collection of children.get(parent) ?? []) {
      if (seen.has(collection.id)) continue;
      seen.add(collection.id);
      out.push({ collection, depth, ancestors });
      walk(collection.id, depth + 1, [...ancestors, collection.id]);
    }
  };
  walk(null, 0, []);
  return out;
}
