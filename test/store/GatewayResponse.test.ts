// The gateway's http:// answers are read straight off the connection (GatewayTransport.postPlain):
// a whole answer is recognised in each of the forms a Go server sends, and a partial one never is.
import { assert, describe, it } from "@effect/vitest"
import { parsePlainResponse } from "../../src/store/GatewayTransport.ts"

const bytes = (text: string) => Buffer.from(text, "latin1")

describe("parsePlainResponse", () => {
  it("reads a body of known length, and waits for all of it", () => {
    const whole = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"a\":\"é\"}"
    // "é" is two bytes in UTF-8: the length counts bytes.
    const utf8 = Buffer.concat([bytes(whole.slice(0, whole.indexOf("{"))), Buffer.from("{\"a\":\"é\"}", "utf8"), Buffer.from(" ")])
    assert.deepStrictEqual(parsePlainResponse(utf8.subarray(0, utf8.length - 1), false), { status: 200, body: "{\"a\":\"é\"}" })
    assert.isUndefined(parsePlainResponse(utf8.subarray(0, utf8.length - 3), false))
    assert.isUndefined(parsePlainResponse(bytes("HTTP/1.1 200 OK\r\nContent-Len"), false))
  })

  it("joins a chunked body, and waits for its last chunk", () => {
    const chunked = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n6\r\n:[1,2]\r\n1\r\n}\r\n0\r\n\r\n"
    assert.deepStrictEqual(parsePlainResponse(bytes(chunked), false), { status: 200, body: "{\"a\":[1,2]}" })
    assert.isUndefined(parsePlainResponse(bytes(chunked.slice(0, chunked.indexOf("1\r\n}"))), false))
    assert.isUndefined(parsePlainResponse(bytes(chunked.slice(0, chunked.length - 8)), false))
  })

  it("takes a body without length or chunks only once the server closed", () => {
    const plain = "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
    assert.isUndefined(parsePlainResponse(bytes(plain), false))
    assert.deepStrictEqual(parsePlainResponse(bytes(plain), true), {
      status: 400,
      body: "Client sent an HTTP request to an HTTPS server.\n"
    })
  })

  it("is no answer when the status line is not HTTP", () => {
    assert.isUndefined(parsePlainResponse(bytes("\u0015\u0003\u0001\u0000\u0002\u0002\n\r\n\r\n"), true))
  })
})
