/** One cell of the report: `ok`, or a short reason plus the details printed under the table. */
export interface Cell {
  readonly ok: boolean
  readonly summary: string
  readonly details?: string
}

export const ok = (summary = 'ok'): Cell => ({ ok: true, summary })
export const fail = (summary: string, details?: string): Cell => (details === undefined ? { ok: false, summary } : { ok: false, summary, details })

/** A Markdown table (rows × columns), then the details of every failed cell. */
export function renderTable(rowNames: readonly string[], columns: readonly string[], cell: (row: string, column: string) => Cell): string {
  const rows = rowNames.map((r) => [r, ...columns.map((c) => {
    const x = cell(r, c)
    return x.ok ? x.summary : `**FAIL** ${x.summary}`
  })])
  const header = ['package', ...columns]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  const out = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)]
  const details: string[] = []
  for (const r of rowNames) {
    for (const c of columns) {
      const x = cell(r, c)
      if (!x.ok && x.details !== undefined) details.push(`--- ${r} × ${c}: ${x.summary}\n${x.details.trimEnd()}`)
    }
  }
  return [out.join('\n'), ...(details.length > 0 ? ['', ...details] : [])].join('\n')
}
