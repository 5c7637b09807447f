import { useEffect, useState } from 'react'
import { type ApiProblem, asProblem } from '../api/client'

export type Loaded<T> = { status: 'loading' } | { status: 'failed'; problem: ApiProblem } | { status: 'ready'; value: T }

/**
 * What `load` answers, loaded again whenever `key` changes (what `load` asks for: a token, a cursor): loading, then
 * ready or failed. An answer that arrives after the key changed (or the page left) is dropped, so a slow old
 * request never overwrites a newer one.
 */
export function useLoaded<T>(load: () => Promise<T>, key: string | undefined): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ status: 'loading' })
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for everything `load` reads
  useEffect(() => {
    let current = true
    setState({ status: 'loading' })
    load().then(
      (value) => current && setState({ status: 'ready', value }),
      (error: unknown) => current && setState({ status: 'failed', problem: asProblem(error) }),
    )
    return () => {
      current = false
    }
  }, [key])
  return state
}
