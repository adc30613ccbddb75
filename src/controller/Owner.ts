// This process's ownership (design.md §11) as a service: the executor labels every app it creates
// with it, and every observation of Marathon is filtered by it before anything is planned.
import { Context, Layer } from "effect"
import type { Ownership } from "../domain/Ownership.ts"

export class Owner extends Context.Service<Owner, Ownership>()("mdeploy/controller/Owner") {
  static readonly layer = (ownership: Ownership) => Layer.succeed(Owner, ownership)
}
