/*
 * The one clock a server decides by: expiries, sessions, rate-limit windows, audit times, the outbox and the
 * sync scheduler. Real time unless a test asks for a controllable one (`--clock manual`, `startGatehouse({ clock })`);
 * each server has its own, so two emulators in one process never move each other's time.
 */

export interface Clock {
  now(): Date
  ms(): number
  /** Whether tests may move it (the admin endpoint refuses otherwise). */
  readonly controllable: boolean
}

export const systemClock: Clock = {
  now: () => new Date(),
  ms: () => Date.now(),
  controllable: false,
}

/** A clock that stands still until set or advanced. */
export class ManualClock implements Clock {
  readonly controllable = true
  private at: number

  constructor(start: Date | string | number = Date.now()) {
    this.at = toMs(start)
  }

  now(): Date {
    return new Date(this.at)
  }

  ms(): number {
    return this.at
  }

  /** Jumps to this instant (backwards too: a test may replay a moment). */
  set(to: Date | string | number): Date {
    this.at = toMs(to)
    return this.now()
  }

  /** Moves forward by `ms` (no negative steps: set() goes back explicitly). */
  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance() takes a non-negative number of milliseconds, not ${ms}`)
    this.at += ms
    return this.now()
  }
}

/** What `--clock` / `startGatehouse({ clock })` accept: 'manual' (now, then standing still), 'manual=<ISO>', a Date or an ISO time. */
export type ClockOption = 'system' | 'manual' | `manual=${string}` | Date | string

export function clockFrom(option: ClockOption | undefined): Clock {
  if (option === undefined || option === 'system') return systemClock
  if (option instanceof Date) return new ManualClock(option)
  if (option === 'manual') return new ManualClock()
  return new ManualClock(option.startsWith('manual=') ? option.slice('manual='.length) : option)
}

function toMs(at: Date | string | number): number {
  const ms = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at)
  if (!Number.isFinite(ms)) throw new RangeError(`Not a time: ${String(at)} (use an ISO 8601 time such as 2030-01-01T00:00:00Z)`)
  return ms
}

/** The ISO-8601 text the store keeps times in. */
export const isoAt = (ms: number): string => new Date(ms).toISOString()

/** The clock's time as the store keeps it. */
export const isoNow = (clock: Clock): string => isoAt(clock.ms())
