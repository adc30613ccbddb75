// Every key and value under a prefix, read as a bare client pages a large range: `limit` keys per
// answer, each page after the last key of the one before, all at the first answer's revision. One
// range of 30,000 statuses (about 33 MB) is far over gRPC's default 4 MiB answer limit.
import type { Etcd3 } from "etcd3"

export const pagedRange = async (client: Etcd3, prefix: string, limit = 1_000): Promise<Array<[string, string]>> => {
  const start = Buffer.from(prefix)
  const end = Buffer.from(prefix)
  end[end.length - 1] = end[end.length - 1]! + 1
  const entries: Array<[string, string]> = []
  let key = start
  let revision: string | undefined
  for (;;) {
    const answer = await client.kv.range({ key, range_end: end, limit, ...(revision === undefined ? {} : { revision }) })
    revision ??= answer.header.revision
    for (const kv of answer.kvs) entries.push([kv.key.toString(), kv.value.toString()])
    if (!answer.more || answer.kvs.length === 0) return entries
    key = Buffer.concat([answer.kvs[answer.kvs.length - 1]!.key, Buffer.from([0])])
  }
}
