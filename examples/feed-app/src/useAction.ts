/**
 * The hook that runs a user's action (a write) and keeps its state for the
 * component: busy while it runs, the error message when it failed.
 */
import { useCallback, useState } from 'react'

/** What {@link useAction} returns. */
export interface ActionState {
  /** True while an action runs. */
  busy: boolean
  /** The last failure's message, cleared when the next action starts. */
  error: string | null
  /** Runs `work`; resolves true when it succeeded. */
  run: (work: () => Promise<unknown>) => Promise<boolean>
}

/** A readable message for anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Runs actions one at a time and reports their state. */
export function useAction(): ActionState {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const run = useCallback(async (work: () => Promise<unknown>) => {
    setBusy(true)
    setError(null)
    try {
      await work()
      return true
    } catch (err) {
      setError(messageOf(err))
      return false
    } finally {
      setBusy(false)
    }
  }, [])
  return { busy, error, run }
}
