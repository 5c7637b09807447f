import { useEffect, useState } from 'react'
import { type ApiProblem, asProblem } from '../api/client'

/** An answer being asked for: while a new one loads, `last` is the one shown before (none after a failure). */
export type Loaded<T> = { status: 'loading'; last?: T } | { status: 'failed'; problem: ApiProblem } | { status: 'ready'; value: T }

/** What a page shows: the answer, or while the next one loads, the answer before it. */
export function shownValue<T>(state: Loaded<T>): T | undefined {
  return state.status === 'ready' ? state.value : state.status === 'loading' ? state.last : undefined
}

function reloading<T>(state: Loaded<T>): Loaded<T> {
  const last = shownValue(state)
  return last === undefined ? { status: 'loading' } : { status: 'loading', last }
}

/** Compared as React compares an effect's dependencies. */
const sameDeps = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((value, i) => Object.is(value, b[i]))

/**
 * What `load` answers, loaded again whenever one of `deps` changes (everything `load` reads: a token, a cursor,
 * the filters, a count of changes): loading, then ready or failed. An answer that arrives after the deps changed
 * (or the page left) is dropped, so a slow old request never overwrites a newer one.
 */
export function useLoaded<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [held, setHeld] = useState<{ deps: readonly unknown[]; round: number; state: Loaded<T> }>({
    deps,
    round: 0,
    state: { status: 'loading' },
  })
  // New deps are loading from the render that brings them: React renders again at once, before anything shows.
  if (!sameDeps(held.deps, deps)) setHeld({ deps, round: held.round + 1, state: reloading(held.state) })
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new `round` comes with new `deps`, everything `load` reads
  useEffect(() => {
    let current = true
    const { round } = held
    const settle = (state: Loaded<T>) => current && setHeld((was) => (was.round === round ? { ...was, state } : was))
    load().then(
      (value) => settle({ status: 'ready', value }),
      (error: unknown) => settle({ status: 'failed', problem: asProblem(error) }),
    )
    return () => {
      current = false
    }
  }, [held.round])
  return held.state
}
