/** Edit distance (insert, delete, substitute, swap neighbours), for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
      }
    }
  }
  return d[a.length]![b.length]!;
}

/** Known command ids close to `id` (colon-separated), closest first. */
export function similarCommands(id: string, known: readonly string[]): string[] {
  const limit = Math.max(1, Math.min(3, Math.floor(id.length / 3)));
  return [...new Set(known.map((k) => k.replaceAll(" ", ":")))]
    .map((candidate) => ({ candidate, distance: editDistance(id, candidate) }))
    .filter(({ distance }) => distance <= limit)
    .sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate))
    .map(({ candidate }) => candidate);
}

/**
 * `unknown command "stream craete" (did you mean: lb stream create?)`, in lb's error style.
 * oclif's id has every word typed, arguments too: the command is the first two words when
 * they resemble a command, else the first.
 */
export function unknownCommandMessage(id: string, known: readonly string[]): string {
  const words = id.split(":");
  const two = words.slice(0, 2).join(":");
  const command = words.length > 1 && similarCommands(two, known).length > 0 ? two : words[0]!;
  return unknownMessage(command, known);
}

function unknownMessage(id: string, known: readonly string[]): string {
  const typed = id.replaceAll(":", " ");
  const ranked = similarCommands(id, known);
  const best = ranked.length ? editDistance(id, ranked[0]!) : 0;
  const similar = ranked.filter((s) => editDistance(id, s) === best).slice(0, 3);
  const hint = similar.length
    ? `did you mean: ${similar.map((s) => `lb ${s.replaceAll(":", " ")}`).join(", ")}?`
    : "see: lb --help";
  return `unknown command "${typed}" (${hint})`;
}
