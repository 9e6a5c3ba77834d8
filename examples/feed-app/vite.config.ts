/**
 * Vite configuration of the feed app: React, and the plugin that writes
 * the service worker (`sw.js`) with the list of built files baked in.
 */
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'
import { serviceWorkerPlugin } from './build/serviceWorkerPlugin.js'

export default defineConfig({
  plugins: [react(), serviceWorkerPlugin()],
  build: { target: 'es2022' },
})
