/**
 * The frame of every signed-in screen: the header with the main
 * navigation, the screen of the current route, and the status bar.
 */
import { useFeedClient } from '@feedmesh/react'
import { type ReactNode, useEffect } from 'react'
import { type Route, RouteNames } from '../routes.js'
import { ChatScreen } from '../screens/ChatScreen.js'
import { FeedScreen } from '../screens/FeedScreen.js'
import { NotFoundScreen } from '../screens/NotFoundScreen.js'
import { ProfileScreen } from '../screens/ProfileScreen.js'
import { SettingsScreen } from '../screens/SettingsScreen.js'
import { ThreadScreen } from '../screens/ThreadScreen.js'
import { useRoute } from '../useRoute.js'
import { ErrorBoundary } from './ErrorBoundary.js'
import { MainNav } from './MainNav.js'
import { StatusBar } from './StatusBar.js'

function screenOf(route: Route): ReactNode {
  switch (route.name) {
    case RouteNames.Feed:
      return <FeedScreen />
    case RouteNames.Thread:
      return <ThreadScreen author={route.author} postId={route.postId} />
    case RouteNames.Profile:
      return <ProfileScreen userId={route.userId} />
    case RouteNames.Chat:
      return <ChatScreen room={route.room} />
    case RouteNames.Settings:
      return <SettingsScreen />
    case RouteNames.NotFound:
      return <NotFoundScreen />
  }
}

function routeKey(route: Route): string {
  switch (route.name) {
    case RouteNames.Thread:
      return `thread:${route.author}/${route.postId}`
    case RouteNames.Profile:
      return `profile:${route.userId}`
    case RouteNames.Chat:
      return `chat:${route.room}`
    default:
      return route.name
  }
}

/** The signed-in app frame (see the module comment). */
export function Shell(): ReactNode {
  const route = useRoute()
  const me = useFeedClient().userId
  const key = routeKey(route)

  useEffect(() => {
    if (key !== '') window.scrollTo(0, 0)
  }, [key])

  return (
    <div className="app">
      <header className="app-header">
        <div className="app-header-inner">
          <span className="brand">
            <span className="brand-mark" aria-hidden="true">
              ◈
            </span>{' '}
            feedmesh
          </span>
          <MainNav route={route} me={me} />
        </div>
      </header>
      <main className="app-main">
        <ErrorBoundary key={key}>{screenOf(route)}</ErrorBoundary>
      </main>
      <StatusBar />
    </div>
  )
}
