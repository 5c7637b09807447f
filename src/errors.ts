/**
 * The error catalog. Route code throws these; only `wire/error-handler.ts` turns them into
 * Segment's `{"errors":[…]}` envelope. `docs/errors.md` lists every entry (a test keeps it in step).
 */
export interface ErrorDetail {
  field?: string
  data?: unknown
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly detail: ErrorDetail = {},
  ) {
    super(message)
  }
}

/** 400: the request is well-formed JSON but cannot be read as asked (malformed body, plan limits). */
export class BadRequestError extends ApiError {
  constructor(message: string, detail: ErrorDetail = {}) {
    super(400, 'bad-request', message, detail)
  }
}

/** 400: the workspace's plan does not include the feature (Segment reports this as `bad-request`). */
export class PlanError extends ApiError {
  constructor(feature: string, plan: string) {
    super(400, 'bad-request', `The ${plan} plan does not include ${feature}. Upgrade the workspace to the business plan.`, {
      data: { plan, feature },
    })
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message = 'Unauthorized: a valid Public API token is required') {
    super(401, 'unauthorized', message)
  }
}

/** 401, not 403: Segment folds "token lacks permission" into 401. */
export class ForbiddenError extends ApiError {
  constructor(message = 'Unauthorized: this token does not have permission for this operation') {
    super(401, 'unauthorized', message)
  }
}

/**
 * 403: the console knows who is asking but will not do it: a state change without the session's CSRF token,
 * a cross-site request, an action for instance admins only. The Public API never answers it (ForbiddenError).
 */
export class NotAllowedError extends ApiError {
  constructor(message = 'Forbidden: you are not allowed to do this') {
    super(403, 'forbidden', message)
  }
}

/** 401 at sign-in: the password is right and the account has MFA; send it again with `totpCode` or `recoveryCode`. */
export class MfaRequiredError extends ApiError {
  constructor(message = 'Enter the code from your authenticator app, or a recovery code') {
    super(401, 'mfa-required', message)
  }
}

/** 403: the workspace requires MFA and the signed-in person has not set it up; other workspaces stay open. */
export class MfaEnrollmentRequiredError extends ApiError {
  constructor(message = 'This workspace requires multi-factor authentication: set it up in My account to enter') {
    super(403, 'mfa-enrollment-required', message)
  }
}

/** 403: the workspace requires MFA and this session has not passed it (POST /console/api/session/mfa). */
export class MfaVerificationRequiredError extends ApiError {
  constructor(message = 'This workspace requires multi-factor authentication: enter a code to continue') {
    super(403, 'mfa-verification-required', message)
  }
}

export class NotFoundError extends ApiError {
  constructor(what: string, field?: string) {
    super(404, 'not-found', `${what} not found`, field === undefined ? {} : { field })
  }
}

export class ConflictError extends ApiError {
  constructor(message: string, detail: ErrorDetail = {}) {
    super(409, 'conflict', message, detail)
  }
}

/** 409: the directory connection has a sync run in progress (in this process or another). */
export class SyncConflictError extends ConflictError {}

export class PayloadTooLargeError extends ApiError {
  constructor(limitBytes: number) {
    super(413, 'payload-too-large', `Request body exceeds the limit of ${limitBytes} bytes`)
  }
}

export class UnsupportedMediaTypeError extends ApiError {
  constructor(contentType: string) {
    super(415, 'unsupported-media-type', `Content-Type ${contentType} is not supported; send application/json`)
  }
}

export class ValidationError extends ApiError {
  constructor(message: string, field?: string) {
    super(422, 'input-validation', message, field === undefined ? {} : { field })
  }
}

export interface RateLimitState {
  remainingPoints: number
  msBeforeNext: number
  consumedPoints: number
}

/** A rate-limit window as a request left it, with when it resets (the `X-RateLimit-Reset` header). */
export interface RateLimitOutcome extends RateLimitState {
  resetAt: Date
}

/**
 * 429 with the exact body Segment sends: `type: "RequestError"`, `message: "Too many requests"`, the window's
 * counters as `data`. The error handler adds the `X-RateLimit-*` and `Retry-After` headers from its outcome.
 */
export class RateLimitError extends ApiError {
  constructor(readonly outcome: RateLimitOutcome) {
    const { remainingPoints, msBeforeNext, consumedPoints } = outcome
    super(429, 'RequestError', 'Too many requests', { data: { remainingPoints, msBeforeNext, consumedPoints } })
  }
}

/**
 * 429 for guesses at secrets (sign-ins, password-reset requests, links), counted per email and per client
 * address. The message says when to try again; the console shows it as it is. `Retry-After` goes with it.
 */
export class TooManyAttemptsError extends ApiError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, 'too-many-attempts', message, { data: { retryAfterSeconds } })
  }
}

/** 502: a remote workspace (a directory connection's) could not be reached, timed out or failed with a 5xx. */
export class BadGatewayError extends ApiError {
  constructor(message: string, detail: ErrorDetail = {}) {
    super(502, 'bad-gateway', message, detail)
  }
}

export class UnavailableError extends ApiError {
  constructor(message = 'The store is unavailable; try again shortly') {
    super(503, 'unavailable', message)
  }
}

/** The 5xx a fault injected through `POST /admin/faults` answers: `type: "server"`, as any server error of Gatehouse. */
export class InjectedFaultError extends ApiError {
  constructor(status: number) {
    super(status, 'server', 'Injected fault')
  }
}
