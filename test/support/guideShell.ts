/**
 * Reading the shell commands of a guide (`docs/*.md`), so tests can hold them to the template, the
 * manifests and the images: the ```sh blocks, and the words of one command line.
 */

/** The ```sh blocks of a guide: backslash continuations joined, one command per line, no comments. */
export function shellCommands(md: string): string[] {
  return [...md.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
    (m[1] ?? '')
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#')),
  );
}

/**
 * Splits a command line into words, removing quotes; `''` stays an (empty) word. Enough for the
 * guides' commands: no escapes, substitutions or operators.
 */
export function shellWords(line: string): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  let quote: string | undefined;
  for (const c of line) {
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur ??= '';
    } else if (/\s/.test(c)) {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else cur = (cur ?? '') + c;
  }
  if (cur !== undefined) out.push(cur);
  return out;
}
