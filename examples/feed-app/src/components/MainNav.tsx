/** The main navigation: Feed, Chat, Profile, Settings; the current one is marked. */
import type { UserId } from '@feedmesh/core'
import type { ReactNode } from 'react'
import {
  chatHref,
  DEFAULT_ROOM,
  feedHref,
  profileHref,
  type Route,
  RouteNames,
  settingsHref,
} from '../routes.js'

/** Props of {@link MainNav}. */
export interface MainNavProps {
  /** The current route. */
  route: Route
  /** The signed-in user. */
  me: UserId
}

/** The navigation landmark "Main". */
export function MainNav({ route, me }: MainNavProps): ReactNode {
  const items = [
    { label: 'Feed', href: feedHref, current: route.name === RouteNames.Feed },
    { label: 'Chat', href: chatHref(DEFAULT_ROOM), current: route.name === RouteNames.Chat },
    {
      label: 'Profile',
      href: profileHref(me),
      current: route.name === RouteNames.Profile && route.userId === me,
    },
    { label: 'Settings', href: settingsHref, current: route.name === RouteNames.Settings },
  ]
  return (
    <nav aria-label="Main" className="main-nav">
      <ul>
        {items.map((item) => (
          <li key={item.label}>
            <a href={item.href} aria-current={item.current ? 'page' : undefined}>
              {item.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  )
}
