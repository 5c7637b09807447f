/** A QR code drawn as SVG from the server's module rows ('1' dark): no image, so nothing for the CSP to allow. */
export function QrCode({ rows, label }: { rows: string[]; label: string }) {
  const quiet = 4
  const size = rows.length + quiet * 2
  let path = ''
  rows.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) if (row[x] === '1') path += `M${x + quiet} ${y + quiet}h1v1h-1z`
  })
  return (
    <svg className="qr-code" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label} shapeRendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  )
}
