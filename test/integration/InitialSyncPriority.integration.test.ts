// Edits jump the queue during a new leader's initial sync: the sync queues every instance at low
// priority, a spec change queues its instance at high, so a user's edit reaches Marathon while
// most of the fleet is still waiting to be looked at — not after all of it. Against the real
// controller process, etcd and the emulator, with one worker so that the sync is long.
import { assert, describe, it } from "@effect/vitest"
import { afterEach } from "vitest"
import {
  benchSpec,
  instanceName,
  putSpecs,
  runningStatuses,
  seedApps,
  type Stack,
  startController,
  startStack,
  storedSpec,
  waitFor
} from "../../bench/internal/stack.ts"

const stacks: Array<Stack> = []
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((stack) => stack.close()))
})

const count = 1_000

describe("initial sync", () => {
  it("reconciles an edit made during the sync before the instances still waiting", async () => {
    const stack = await startStack()
    stacks.push(stack)
    const specOf = (index: number) => benchSpec(index, "v1", 1)
    await seedApps(stack.sim.url, count, specOf)
    await putSpecs(stack.client, stack.prefix, count, specOf)
    const controller = await startController({
      etcd: stack.etcd.endpoints,
      prefix: stack.prefix,
      marathon: stack.sim.url,
      workers: 1,
      resyncSeconds: 3600
    })
    stack.controllers.push(controller)
    // The sync has begun: a few instances were adopted (their status written), most were not.
    await waitFor(
      "the initial sync under way",
      60_000,
      async () => (await runningStatuses(stack.client, stack.prefix, () => 1)) >= 20 ? true : undefined,
      50
    )

    // The last instance in the sync's order (specs are listed in key order) gets a new scale.
    const edited = count - 1
    const name = instanceName(edited)
    const wrote = stack.tap.next((method, path) => method !== "GET" && path.startsWith(`/v2/apps/${name}.`), 30_000)
    const t0 = performance.now()
    await stack.client.put(`${stack.prefix}/specs/${name}`).value(storedSpec(name, benchSpec(edited, "v1", 2), 2))
    const at = await wrote
    const runningAtWrite = await runningStatuses(stack.client, stack.prefix, () => 1)
    assert.isDefined(at, "the edit reached Marathon")
    assert.isBelow(runningAtWrite, count / 2, `the edit waited for ${runningAtWrite} of ${count} instances`)
    assert.isBelow(at! - t0, 5_000)

    // And the sync still finishes: every other instance Running at generation 1, the edited one at 2.
    await waitFor(
      "the initial sync done",
      120_000,
      async () => (await runningStatuses(stack.client, stack.prefix, (key) => key === name ? 2 : 1)) === count ? true : undefined,
      500
    )
  }, 240_000)
})
