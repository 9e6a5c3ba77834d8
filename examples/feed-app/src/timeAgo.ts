/** Relative times for humans: "just now", "5 min ago", "3 h ago", "2 d ago", then a date. */

const minute = 60_000
const hour = 60 * minute
const day = 24 * hour

/** `at` relative to `now`, both in ms. */
export function timeAgo(at: number, now: number): string {
  const elapsed = Math.max(0, now - at)
  if (elapsed < minute) return 'just now'
  if (elapsed < hour) return `${Math.floor(elapsed / minute)} min ago`
  if (elapsed < day) return `${Math.floor(elapsed / hour)} h ago`
  if (elapsed < 7 * day) return `${Math.floor(elapsed / day)} d ago`
  return new Date(at).toLocaleDateString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
  })
}
