// What an edit's pass reads of Marathon, against the real controller process, etcd and the
// emulator. An edit changes the spec, not Marathon: a create it calls for is planned on the shared
// list (Marathon itself refuses an id that exists), with no read of the instance of its own. What
// comes after the create — its tasks coming up, the old app drained and deleted — is planned on
// reads made after it: the create's own events ask for them, and nothing beyond a create is ever
// planned on the shared list.
import { assert, describe, it } from "@effect/vitest"
import { afterEach } from "vitest"
import {
  appFor,
  benchSpec,
  call,
  converge,
  instanceName,
  runningStatuses,
  type Stack,
  startStack,
  storedSpec,
  waitFor
} from "../../bench/internal/stack.ts"
import { appsOf, happyTasks, type MarathonApp } from "../harness/stack.ts"

const stacks: Array<Stack> = []
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((stack) => stack.close()))
})

const count = 3
const tasks = 2

describe("an edit's reads", () => {
  it(
    "a create is planned on the shared list; the bounce after it on reads of the instance, one create, never fewer tasks than asked",
    async () => {
      const stack = await startStack()
      stacks.push(stack)
      await converge(stack, count, (index) => benchSpec(index, "v1", tasks), { resyncSeconds: 3600 })
      await stack.tap.quiet(300, 10_000)
      const name = instanceName(0)
      const oldId = appFor(0, benchSpec(0, "v1", tasks)).id
      const newId = appFor(0, benchSpec(0, "v2", tasks)).id
      const reads = () => stack.tap.count("GET /v2/apps?id=")
      const creates = () => stack.tap.count("POST /v2/apps")
      const readsBefore = reads()
      const createsBefore = creates()
      // Counted the moment the create arrives, before anything it sets off.
      let readsBeforeCreate: number | undefined
      const created = stack.tap.next((method, path) => {
        if (method !== "POST" || path !== "/v2/apps") return false
        readsBeforeCreate = reads() - readsBefore
        return true
      }, 30_000)
      await stack.client.put(`${stack.prefix}/specs/${name}`).value(storedSpec(name, benchSpec(0, "v2", tasks), 2))
      assert.isDefined(await created, "the new app was created")
      assert.strictEqual(readsBeforeCreate, 0, "no read of the instance before its create")

      await waitFor("the bounce finished", 60_000, async () => {
        const { apps } = JSON.parse((await call(`${stack.sim.url}/v2/apps?embed=apps.tasks`, "GET")).body) as {
          apps: ReadonlyArray<MarathonApp>
        }
        const own = appsOf(apps, name)
        // On every poll: the old app's tasks go only once the new app's are up.
        const happy = own.reduce((sum, app) => sum + happyTasks(app), 0)
        assert.isAtLeast(happy, tasks, `healthy tasks of ${name}: ${own.map((app) => `${app.id} ${happyTasks(app)}`).join(", ")}`)
        const done = own.length === 1 && own[0]!.id === newId &&
          (await runningStatuses(stack.client, stack.prefix, (key) => key === name ? 2 : 1)) === count
        return done ? true : undefined
      }, 50)
      assert.notStrictEqual(oldId, newId)
      assert.strictEqual(creates() - createsBefore, 1, "one create: the passes after it saw the new app")
      assert.isAbove(reads() - readsBefore, 0, "the passes after the create read the instance")
    },
    120_000
  )
})
