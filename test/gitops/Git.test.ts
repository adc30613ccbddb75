import { assert, describe, it } from "@effect/vitest"
import { authEnvironment, refName, scrub } from "../../src/gitops/Git.ts"

describe("git credentials", () => {
  it("come from the controller's environment, as an http header in git's environment only", () => {
    const env = authEnvironment({ usernameEnv: "GIT_USER", passwordEnv: "GIT_TOKEN" }, { GIT_USER: "bot", GIT_TOKEN: "t0ken" })
    assert.deepStrictEqual(env, {
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "http.extraHeader",
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from("bot:t0ken").toString("base64")}`
    })
    assert.match(String(authEnvironment({ passwordEnv: "GIT_TOKEN" }, {})), /GIT_TOKEN is not set/)
    assert.match(
      String((authEnvironment({ sshKeyFile: "/etc/mdeploy/key" }, {}) as Record<string, string>)["GIT_SSH_COMMAND"]),
      /-i '\/etc\/mdeploy\/key'/
    )
    assert.deepStrictEqual(authEnvironment(undefined, { GIT_TOKEN: "x" }), {})
  })

  it("are scrubbed from messages", () => {
    assert.strictEqual(
      scrub("fatal: unable to access 'https://bot:t0ken@git.example/x.git/'"),
      "fatal: unable to access 'https://***@git.example/x.git/'"
    )
    assert.strictEqual(scrub("Authorization: Basic Ym90OnQwa2Vu"), "Authorization: Basic ***")
  })

  it("refs map to full ref names; a commit is fetched by id", () => {
    assert.strictEqual(refName(undefined), "refs/heads/main")
    assert.strictEqual(refName({ branch: "release/1" }), "refs/heads/release/1")
    assert.strictEqual(refName({ tag: "v1" }), "refs/tags/v1")
    assert.isUndefined(refName({ commit: "a".repeat(40) }))
  })
})
