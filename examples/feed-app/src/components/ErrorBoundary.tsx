/**
 * An error boundary around each screen: a screen that throws (a damaged
 * link, a closed client) shows what happened instead of a blank page.
 */
import { Component, type ReactNode } from 'react'
import { messageOf } from '../useAction.js'

/** Props of {@link ErrorBoundary}. */
export interface ErrorBoundaryProps {
  /** The screen. */
  children?: ReactNode
}

interface ErrorBoundaryState {
  error: unknown
  failed: boolean
}

/** Shows the error of a screen that failed to render. */
export class ErrorBoundary extends Component<ErrorBoundaryProps, ErrorBoundaryState> {
  override state: ErrorBoundaryState = { error: null, failed: false }

  /** Keeps the error to show it. */
  static getDerivedStateFromError(error: unknown): ErrorBoundaryState {
    return { error, failed: true }
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children
    return (
      <section className="card">
        <h1>Something went wrong</h1>
        <p role="alert">{messageOf(this.state.error)}</p>
        <p>
          <a href="#/feed">Back to the timeline</a>
        </p>
      </section>
    )
  }
}
