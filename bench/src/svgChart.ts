/**
 * A small SVG renderer for the report's horizontal bar charts (no
 * dependency): one row per bar with its label on the left, the bar at the
 * median, a whisker from min to max, the value at the right, a few grid
 * lines with values in the chart's unit, and a caption saying whether
 * shorter is better. feedmesh's bars are drawn in the accent colour,
 * reference bars (a floor, the size of the changes) in green.
 */
import type { Chart } from './scenario.js'

const font = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"'
const rowHeight = 30
const barHeight = 18
const charWidth = 7.4
const width = 760

/** Escapes text for SVG. */
function esc(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
}

/** A value with sensible precision. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US')
  if (Math.abs(value) >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

/** A round axis maximum at or above `max`. */
function niceMax(max: number): number {
  if (!(max > 0)) return 1
  const power = 10 ** Math.floor(Math.log10(max))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power
  return 10 * power
}

/** The chart as a standalone SVG document. */
export function renderBarChart(chart: Chart): string {
  const labelWidth = Math.min(
    300,
    Math.ceil(Math.max(...chart.bars.map((b) => b.label.length), 8) * charWidth) + 20,
  )
  const valueWidth = 110
  const plotLeft = labelWidth
  const plotWidth = width - labelWidth - valueWidth
  const top = 42
  const height = top + chart.bars.length * rowHeight + 52
  const finite = chart.bars.flatMap((b) => [b.value, b.max ?? b.value]).filter(Number.isFinite)
  const axisMax = niceMax(Math.max(0, ...finite))
  const x = (v: number) => plotLeft + (Math.max(0, v) / axisMax) * plotWidth
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(chart.title)}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="24" ${font} font-size="15" font-weight="600" fill="#1f2328">${esc(chart.title)}</text>`,
  ]
  const plotBottom = top + chart.bars.length * rowHeight
  for (let i = 0; i <= 4; i++) {
    const v = (axisMax * i) / 4
    const gx = x(v).toFixed(1)
    out.push(
      `<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${plotBottom}" stroke="#d0d7de" stroke-width="1"/>`,
      `<text x="${gx}" y="${plotBottom + 14}" ${font} font-size="10" fill="#57606a" text-anchor="middle">${esc(Number(v.toPrecision(3)).toLocaleString('en-US'))}</text>`,
    )
  }
  chart.bars.forEach((bar, i) => {
    const y = top + i * rowHeight
    const cy = y + rowHeight / 2
    const fill = bar.reference
      ? '#9ecb9e'
      : bar.label.startsWith('feedmesh')
        ? '#0969da'
        : '#8c959f'
    out.push(
      `<text x="${plotLeft - 8}" y="${cy + 4}" ${font} font-size="12" fill="#1f2328" text-anchor="end">${esc(bar.label)}</text>`,
    )
    if (!Number.isFinite(bar.value)) {
      out.push(
        `<text x="${plotLeft + 4}" y="${cy + 4}" ${font} font-size="12" fill="#cf222e">no result</text>`,
      )
      return
    }
    const barWidth = Math.max(1, x(bar.value) - plotLeft)
    out.push(
      `<rect x="${plotLeft}" y="${cy - barHeight / 2}" width="${barWidth.toFixed(1)}" height="${barHeight}" rx="2" fill="${fill}"/>`,
    )
    if (bar.min !== undefined && bar.max !== undefined && bar.max > bar.min) {
      const x1 = x(bar.min).toFixed(1)
      const x2 = x(bar.max).toFixed(1)
      out.push(
        `<line x1="${x1}" y1="${cy}" x2="${x2}" y2="${cy}" stroke="#1f2328" stroke-width="1.2"/>`,
        `<line x1="${x1}" y1="${cy - 5}" x2="${x1}" y2="${cy + 5}" stroke="#1f2328" stroke-width="1.2"/>`,
        `<line x1="${x2}" y1="${cy - 5}" x2="${x2}" y2="${cy + 5}" stroke="#1f2328" stroke-width="1.2"/>`,
      )
    }
    const labelX = Math.max(x(bar.value), x(bar.max ?? bar.value)) + 6
    out.push(
      `<text x="${labelX.toFixed(1)}" y="${cy + 4}" ${font} font-size="12" fill="#1f2328">${esc(`${formatValue(bar.value)} ${chart.unit}`)}</text>`,
    )
  })
  const caption = `${chart.unit}; bar: median, whisker: min–max of the repetitions; ${
    chart.lowerIsBetter ? 'lower is better' : 'higher is better'
  }`
  out.push(
    `<text x="12" y="${height - 12}" ${font} font-size="11" fill="#57606a">${esc(chart.note === undefined ? caption : `${caption}. ${chart.note}`)}</text>`,
    '</svg>',
    '',
  )
  return out.join('\n')
}
