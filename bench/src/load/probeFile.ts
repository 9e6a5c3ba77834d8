/** Where a server process loaded with `servers/memoryProbe.ts` writes its memory figures. */
import os from 'node:os'
import path from 'node:path'

/** The probe file of process `pid` (in the OS temporary directory). */
export function probeFile(pid: number): string {
  return path.join(os.tmpdir(), `feedmesh-bench-memory-${pid}.json`)
}
