// Validates every object of deploy/k8s (the resources kustomization.yaml
// lists) against the Kubernetes API's schemas, as kubernetes-models ships
// them (pinned in package-lock.json): unknown fields, wrong types and
// missing required fields fail. `node validate_schemas.mjs SOURCE_DIR`;
// prints "N passed, N failed".
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";

const dir = join(process.argv[2], "deploy", "k8s");
const kustomization = parse(readFileSync(join(dir, "kustomization.yaml"), "utf8"));
let passed = 0;
let failed = 0;
for (const file of kustomization.resources) {
  for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
    const object = doc.toJS();
    if (!object) continue;
    const where = `${file}: ${object.kind}/${object.metadata?.name}`;
    try {
      const module = await import(`kubernetes-models/${object.apiVersion}/${object.kind}`);
      new module[object.kind](object).validate();
      passed++;
    } catch (error) {
      failed++;
      console.log(`FAIL ${where}: ${error.message}`);
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
