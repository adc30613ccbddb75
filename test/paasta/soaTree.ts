// Test helper: a soa-configs directory read the way `mdeploy import paasta` reads it, for the pure
// converter, plus the converter's whole-tree output as the CLI prints it.
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { defaultMarathonFieldPolicy } from "../../src/domain/MarathonFieldPolicy.ts"
import { formatReport, importService } from "../../src/paasta/ImportPaasta.ts"
import type { ImportedInstance, ImportReport, SoaService } from "../../src/paasta/ImportPaasta.ts"

export const fixtures = join(import.meta.dirname, "..", "fixtures", "soa-configs")

export const readSoaTree = (soaDir: string): ReadonlyArray<SoaService> =>
  readdirSync(soaDir).sort().filter((name) => statSync(join(soaDir, name)).isDirectory()).map((service) => ({
    service,
    files: new Map(readdirSync(join(soaDir, service)).map((file) => [file, readFileSync(join(soaDir, service, file), "utf8")]))
  }))

export const importTree = (soaDir: string, cluster: string) => {
  const documents: Array<ImportedInstance> = []
  const reports: Array<ImportReport> = []
  for (const service of readSoaTree(soaDir)) {
    const result = importService(service, { cluster, policy: defaultMarathonFieldPolicy })
    documents.push(...result.documents)
    reports.push(...result.reports)
  }
  return { documents, reports, stderr: reports.map(formatReport).join("\n") + "\n" }
}

/** One service from in-memory files, for focused cases. */
export const importFiles = (service: string, files: Record<string, string>, cluster = "c1") =>
  importService({ service, files: new Map(Object.entries(files)) }, { cluster, policy: defaultMarathonFieldPolicy })
