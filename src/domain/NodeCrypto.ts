// Node's crypto module, loaded on first use. An `import ... from "node:crypto"` evaluates the whole
// module and every submodule it exposes (ciphers, key generation, Web Crypto) when the importing
// file loads, about 10 ms of every CLI run, though `get` hashes nothing; the stores' uuids use the
// global Web Crypto (`crypto.randomUUID()`), which is also loaded on first use.
type NodeCryptoModule = typeof import("node:crypto")

let loaded: NodeCryptoModule | undefined

export const nodeCrypto = (): NodeCryptoModule => (loaded ??= process.getBuiltinModule("node:crypto"))
