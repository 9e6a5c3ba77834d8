/** Copying text to the clipboard, where the browser allows it. */

/** How long to wait for the browser to accept a copy, ms (it may wait for a permission). */
const COPY_TIMEOUT_MS = 1500

/**
 * Copies `text`; resolves true once copied, false when the browser refused,
 * has no clipboard, or did not answer in time (then show the text to copy by hand).
 */
export async function copyText(text: string): Promise<boolean> {
  if (navigator.clipboard === undefined) return false
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), COPY_TIMEOUT_MS)
  })
  const copied = navigator.clipboard.writeText(text).then(
    () => true,
    () => false,
  )
  try {
    return await Promise.race([copied, timeout])
  } finally {
    clearTimeout(timer)
  }
}
