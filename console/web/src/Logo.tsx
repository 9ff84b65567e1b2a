export function Logo({ small = false }: { small?: boolean }) {
  return (
    <div className={small ? 'rc-logo rc-logo-small' : 'rc-logo'}>
      <svg viewBox="0 0 32 32" width={small ? 22 : 30} height={small ? 22 : 30} aria-hidden="true">
        <rect width="32" height="32" rx="8" fill="#4f7cff" />
        <circle cx="11" cy="16" r="4" fill="white" />
        <circle cx="21" cy="16" r="4" fill="white" opacity=".7" />
      </svg>
      <span>roomcrew</span>
    </div>
  );
}
