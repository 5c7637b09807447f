/** The Gatehouse mark and name. */
export function Brand({ inverse = false }: { inverse?: boolean }) {
  return (
    <span className={inverse ? 'brand brand-inverse' : 'brand'}>
      <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
        <rect width="32" height="32" rx="7" fill="#0b6e4f" />
        <path d="M8 26V13l8-6 8 6v13h-5v-7h-6v7z" fill="#fff" />
      </svg>
      <span className="brand-name">Gatehouse</span>
    </span>
  )
}
