/**
 * Runs `pass` every `everyMs` and whenever poked, one pass at a time: a poke during a pass runs one more
 * after it (what was queued meanwhile is not left for the next tick). A failed pass is reported and the
 * next tick tries again. The timer does not keep the process alive.
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again = false
  private stopped = false

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly everyMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    if (this.timer || this.stopped) return
    this.timer = setInterval(() => this.poke(), this.everyMs)
    this.timer.unref()
    this.poke()
  }

  poke(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = (async () => {
      do {
        this.again = false
        await this.pass().catch(this.onError)
      } while (this.again && !this.stopped)
    })().finally(() => {
      this.running = undefined
    })
  }

  get isStopped(): boolean {
    return this.stopped
  }

  /** No more passes; waits up to `graceMs` for the one under way (the pass checks `isStopped` between steps). */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.running, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))])
    clearTimeout(timer)
  }
}
