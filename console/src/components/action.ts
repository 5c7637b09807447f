import { useState } from 'react'
import { type ApiProblem, asProblem } from '../api/client'

/**
 * A form's or a button's call to the server: `busy` while it runs (its button disabled), and the server's refusal
 * as `problem`. `run` clears busy when the call ends; `runAndLeave` keeps it after a success, for a call whose
 * success replaces the form (a navigation, the next step), so it cannot be sent twice meanwhile.
 */
export function useAction() {
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<ApiProblem>()
  const start = async (work: () => Promise<unknown>, leaves: boolean) => {
    setBusy(true)
    setProblem(undefined)
    try {
      await work()
      if (!leaves) setBusy(false)
    } catch (error) {
      setProblem(asProblem(error))
      setBusy(false)
    }
  }
  return {
    busy,
    problem,
    setProblem,
    run: (work: () => Promise<unknown>) => start(work, false),
    runAndLeave: (work: () => Promise<unknown>) => start(work, true),
  }
}
