/**
 * Static file serving for `--app <dir>`: an app (e.g. the example feed
 * app's build) served by the relay itself. A path that names a file under
 * the directory is served with its content type; any other GET that looks
 * like a client route (no file extension) gets `index.html`, so the app's
 * router handles it. Paths are decoded and resolved inside the directory:
 * nothing outside it is ever read (`..`, encoded slashes, NUL bytes and
 * symlinks pointing outside are refused).
 */
import fs from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'

/** Content types by file extension. */
export const ContentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
}

/**
 * Resolves a URL path to a file inside `root` (a real, absolute path), or
 * null when the path is malformed or escapes the root.
 */
export function resolveInside(root: string, urlPath: string): string | null {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return null
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null
  const file = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`)
  if (file !== root && !file.startsWith(root + path.sep)) return null
  return file
}

function realFileInside(root: string, file: string): string | null {
  try {
    const real = fs.realpathSync(file)
    if (real !== root && !real.startsWith(root + path.sep)) return null
    return fs.statSync(real).isFile() ? real : null
  } catch {
    return null
  }
}

/** Serves static files from one directory (see the module comment). */
export class StaticFiles {
  readonly #root: string

  /** @param dir the directory to serve; must exist */
  constructor(dir: string) {
    this.#root = fs.realpathSync(path.resolve(dir))
    if (!fs.statSync(this.#root).isDirectory()) throw new Error(`--app ${dir} is not a directory`)
  }

  /** Answers a GET or HEAD; returns false when nothing matches (the caller answers 404). */
  serve(req: IncomingMessage, res: ServerResponse, urlPath: string): boolean {
    const resolved = resolveInside(this.#root, urlPath)
    if (resolved === null) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('bad path\n')
      return true
    }
    let file = realFileInside(this.#root, resolved)
    if (file === null && fs.existsSync(resolved)) {
      file = realFileInside(this.#root, path.join(resolved, 'index.html'))
    }
    if (file === null && path.extname(resolved) === '') {
      file = realFileInside(this.#root, path.join(this.#root, 'index.html'))
    }
    if (file === null) return false
    const type = ContentTypes[path.extname(file).toLowerCase()] ?? 'application/octet-stream'
    const size = fs.statSync(file).size
    const headers: Record<string, string | number> = {
      'content-type': type,
      'content-length': size,
      'x-content-type-options': 'nosniff',
      // The page and its service worker are revalidated on every load, so a
      // new build reaches browsers at once; other files may be cached.
      'cache-control': /(^|[/\\])(index\.html|sw\.js)$/.test(file)
        ? 'no-cache'
        : 'public, max-age=3600',
    }
    res.writeHead(200, headers)
    if (req.method === 'HEAD') {
      res.end()
      return true
    }
    fs.createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res)
    return true
  }
}
