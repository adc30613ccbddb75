import { assert, describe, it } from "@effect/vitest"
import { routeTemplate } from "../../src/marathon/MarathonClient.ts"

describe("Marathon route templates for metrics", () => {
  it.each([
    ["GET", "/v2/apps?embed=apps.tasks", "GET /v2/apps"],
    ["GET", "/v2/apps/web.main.gitabc.config1?embed=app.tasks", "GET /v2/apps/{id}"],
    ["DELETE", "/v2/apps/web.main.gitabc.config1?force=true", "DELETE /v2/apps/{id}"],
    ["PATCH", "/v2/apps/group/web.main", "PATCH /v2/apps/{id}"],
    ["POST", "/v2/tasks/delete?scale=true", "POST /v2/tasks/delete"],
    ["DELETE", "/v2/apps/web/tasks/web.instance-1", "DELETE /v2/apps/{id}/tasks/{taskId}"],
    ["POST", "/v2/apps/web/restart", "POST /v2/apps/{id}/restart"],
    ["DELETE", "/v2/deployments/5ed4c0c5", "DELETE /v2/deployments/{id}"]
  ])("%s %s is %s", (method, url, expected) => {
    assert.strictEqual(routeTemplate(method, url), expected)
  })
})
