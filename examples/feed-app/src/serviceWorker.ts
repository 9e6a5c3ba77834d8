/**
 * Registration of the app's service worker (`sw.js`, written by the build:
 * see `build/serviceWorkerPlugin.ts`), which caches the app shell so that
 * a reload works with no server.
 */

/**
 * Registers `sw.js` once the page has loaded, where the browser supports
 * service workers. A failed registration leaves the app working online
 * only; it is not an error worth reporting.
 */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return
  const register = () => {
    navigator.serviceWorker
      .register(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL })
      .catch(() => undefined)
  }
  if (document.readyState === 'complete') register()
  else window.addEventListener('load', register, { once: true })
}
