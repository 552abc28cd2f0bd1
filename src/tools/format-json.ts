/** The line width configuration files are written to (the project's Prettier width). */
const WIDTH = 120

/**
 * JSON as a person would lay it out, and as Prettier keeps it: an object or array on one line when it
 * fits in the width there, otherwise one entry a line, two spaces an indent.
 */
export function formatJson(value: unknown): string {
  return `${format(value, '', 0)}\n`
}

/** `column` is where the value starts on its line. */
function format(value: unknown, indent: string, column: number): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value)
  const array = Array.isArray(value)
  const entries: [string | undefined, unknown][] = array
    ? (value as unknown[]).map((item) => [undefined, item])
    : Object.entries(value)
  if (entries.length === 0) return array ? '[]' : '{}'
  const inner = `${indent}  `
  const items = entries.map(([key, item]) => {
    const head = key === undefined ? '' : `${JSON.stringify(key)}: `
    return head + format(item, inner, inner.length + head.length)
  })
  const flat = array ? `[${items.join(', ')}]` : `{ ${items.join(', ')} }`
  // One more column for the comma that may follow.
  if (!items.some((item) => item.includes('\n')) && column + flat.length + 1 <= WIDTH) return flat
  const [open, close] = array ? ['[', ']'] : ['{', '}']
  return `${open}\n${items.map((item) => inner + item).join(',\n')}\n${indent}${close}`
}
