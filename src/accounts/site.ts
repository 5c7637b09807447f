/**
 * Where people reach this server: `--public-url` (GATEHOUSE_PUBLIC_URL) when set, else the address it listens
 * on. Links in mail and the origin the console accepts come from here, never from a request's Host header:
 * anyone can send any Host, and a reset link built from it would point at the sender's server.
 */
export class PublicSite {
  private listening: string | undefined

  constructor(private readonly configured: string | undefined) {}

  /** Called once the server listens (the port may have been chosen by the system). */
  listeningOn(url: string): void {
    this.listening = url
  }

  /** Whether the operator named the public URL (then only its origin is trusted for the console). */
  get isConfigured(): boolean {
    return this.configured !== undefined
  }

  get url(): string {
    const url = this.configured ?? this.listening
    if (url === undefined) throw new Error('The public URL is not known before the server listens')
    return url.replace(/\/+$/, '')
  }

  get origin(): string {
    return new URL(this.url).origin
  }

  /** Cookies are marked Secure when people reach the server over https. */
  get secure(): boolean {
    return (this.configured ?? '').startsWith('https:')
  }

  /** The console page that opens a single-use link (the page itself comes with the console). */
  linkUrl(secret: string): string {
    return `${this.url}/console/link/${secret}`
  }
}

/** The URL `serve` would listen on, for commands that write links without a running server (`gatehouse admin add`). */
export function listenUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}
