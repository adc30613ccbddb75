// Waiting without sleeping blindly: poll a condition until it holds or a deadline passes, and
// say what was being waited for when it does not.
export const waitUntil = async <A>(
  description: string,
  check: () => A | undefined | false | Promise<A | undefined | false>,
  options: { readonly timeoutMs?: number; readonly intervalMs?: number } = {}
): Promise<A> => {
  const timeoutMs = options.timeoutMs ?? 15_000
  const deadline = performance.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value
    } catch (error) {
      lastError = error
    }
    if (performance.now() > deadline) {
      const suffix = lastError === undefined ? "" : ` (last error: ${String(lastError)})`
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${suffix}`)
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20))
  }
}
