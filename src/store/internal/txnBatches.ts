// Independent writes grouped into etcd transactions, each as large as etcd accepts: its default
// `--max-txn-ops` is 128, counted as the larger of a transaction's compares and its operations;
// its default request limit is 1.5 MiB (a margin is kept for keys and framing); and one
// transaction may not put the same key twice. Order is kept: a write never moves ahead of one
// given before it, so two writes of one key land in two transactions, in the order given.

export interface TxnWrite {
  /** Every key the write puts or deletes (a prefix delete counts by its prefix). */
  readonly keys: ReadonlyArray<string>
  readonly compares: number
  readonly operations: number
  readonly bytes: number
  /** Writes are grouped only with writes of the same group (e.g. the same fences). */
  readonly group: string
}

export interface TxnLimits {
  readonly operations: number
  readonly bytes: number
}

export const etcdTxnLimits: TxnLimits = { operations: 128, bytes: 1024 * 1024 }

/** `writes` cut into consecutive runs, each run one transaction within `limits`. */
export const txnBatches = <W extends TxnWrite>(writes: ReadonlyArray<W>, limits: TxnLimits = etcdTxnLimits): Array<Array<W>> => {
  const batches: Array<Array<W>> = []
  let current: Array<W> = []
  let compares = 0
  let operations = 0
  let bytes = 0
  let keys = new Set<string>()
  for (const write of writes) {
    const fits = current.length === 0 || (
      current[0]!.group === write.group &&
      compares + write.compares <= limits.operations &&
      operations + write.operations <= limits.operations &&
      bytes + write.bytes <= limits.bytes &&
      write.keys.every((key) => !keys.has(key))
    )
    if (!fits) {
      batches.push(current)
      current = []
      compares = operations = bytes = 0
      keys = new Set()
    }
    current.push(write)
    compares += write.compares
    operations += write.operations
    bytes += write.bytes
    for (const key of write.keys) keys.add(key)
  }
  if (current.length > 0) batches.push(current)
  return batches
}
