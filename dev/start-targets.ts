// npm start's delivery targets: the stand-in serves every repository and organisation a spec delivers to, so deliveries land (and decrypt) locally.
import { join } from "node:path";
import type { StartedFakeGitHub } from "../standins/github/server.js";
import { loadSpecs } from "../src/desired/load.js";
import { START_OWNER_ID } from "../src/cli/identity.js";
import { readSpecSources } from "../src/cli/sources.js";

export async function createDeliveryTargets(github: StartedFakeGitHub, cwd: string): Promise<void> {
  const specs = loadSpecs(await readSpecSources(join(cwd, "credentials")), { ownerId: START_OWNER_ID });
  if (!specs.ok) return;
  const state = github.fake.state;
  for (const spec of specs.specs) {
    for (const { github_actions_secret: target, github_actions_org_secret: orgTarget } of spec.deliver) {
      if (orgTarget) await state.createOrg(orgTarget.org);
      if (!target) continue;
      const [owner, name] = target.repo.split("/");
      let repo = state.repo(owner ?? "", name ?? "");
      if (!repo) {
        repo = await state.createRepo({ fullName: target.repo });
        console.log(`GitHub stand-in: created ${target.repo} to receive delivered tokens (see ${github.url}/__fake/repos/${target.repo})`);
      }
      if (target.environment) state.createEnvironment(repo, target.environment);
    }
  }
}
