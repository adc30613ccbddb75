// Pure id rules: PathId canonical forms and validation (spec §2.1), task-id formats (§3.1).
import { assert, describe, it } from "@effect/vitest"
import { ancestors, canonical, idErrors, parent, safeId } from "../../src/sim/ids/PathId.ts"
import { instanceIdOf, parseTaskId, taskIdOf } from "../../src/sim/ids/TaskId.ts"
import { IdSource } from "../../src/sim/ids/IdSource.ts"

describe("PathId", () => {
  it("canonical: absolute, empty segments dropped, . and .. resolved", () => {
    assert.strictEqual(canonical("//a//b/"), "/a/b")
    assert.strictEqual(canonical("a/b"), "/a/b")
    assert.strictEqual(canonical("x", "/g"), "/g/x")
    assert.strictEqual(canonical("../x", "/g/h"), "/g/x")
    assert.strictEqual(canonical("/a/./b/../c"), "/a/c")
  })

  it("validation: lowercase labels, no leading or trailing dash, reserved last segments, not root", () => {
    for (const ok of ["/a", "/a.b-c/d1", "/web.main.git1234abcd.config0000ffff"]) assert.deepStrictEqual(idErrors(ok), [], ok)
    for (const bad of ["/A", "/a_b", "/-a", "/a-", "/a b", "/a..b"]) {
      assert.match(idErrors(bad)[0]!, /^must fully match regular expression/, bad)
    }
    for (const reserved of ["/x/restart", "/x/tasks", "/x/versions"]) assert.match(idErrors(reserved)[0]!, /reserved keywords/, reserved)
    assert.deepStrictEqual(idErrors("/"), ["Path must contain at least one path element"])
  })

  it("parent, ancestors and the task-id prefix", () => {
    assert.strictEqual(parent("/a/b/c"), "/a/b")
    assert.strictEqual(parent("/a"), "/")
    assert.deepStrictEqual(ancestors("/a/b/c"), ["/a", "/a/b"])
    assert.strictEqual(safeId("/prod/web"), "prod_web")
  })
})

describe("task ids", () => {
  const uuid = new IdSource(7).uuid1(Date.UTC(2026, 0, 1))

  it("formats instance and task ids as Marathon ≥1.8 does", () => {
    const instance = instanceIdOf("prod_web", uuid)
    assert.match(instance, /^prod_web\.instance-[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.strictEqual(taskIdOf(instance, 3), `${instance}._app.3`)
  })

  it("parses the current and the older formats to the instance id", () => {
    const instance = instanceIdOf("prod_web", uuid)
    assert.deepStrictEqual(parseTaskId(taskIdOf(instance, 2)), { _tag: "Parsed", instanceId: instance, incarnation: 2 })
    assert.deepStrictEqual(parseTaskId(`${instance}._app`), { _tag: "Parsed", instanceId: instance, incarnation: undefined })
    assert.deepStrictEqual(parseTaskId(`prod_web.marathon-${uuid}`), {
      _tag: "Parsed",
      instanceId: `prod_web.marathon-${uuid}`,
      incarnation: undefined
    })
    assert.deepStrictEqual(parseTaskId(`prod_web.${uuid}`), { _tag: "Parsed", instanceId: instance, incarnation: undefined })
  })

  it("reproduces Marathon's failures: no separator is invalid, a non-UUID tail is a UUID error", () => {
    assert.deepStrictEqual(parseTaskId("garbage"), { _tag: "Invalid" })
    assert.deepStrictEqual(parseTaskId("foo.bar"), { _tag: "BadUuid", tail: "bar" })
    assert.deepStrictEqual(parseTaskId("web.instance-nope._app.1"), { _tag: "BadUuid", tail: "nope" })
  })

  it("a seeded id source repeats itself", () => {
    const a = new IdSource(42), b = new IdSource(42)
    assert.deepStrictEqual([a.uuid4(), a.uuid4()], [b.uuid4(), b.uuid4()])
    assert.match(new IdSource(1).uuid4(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })
})
