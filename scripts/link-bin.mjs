// postinstall: links node_modules/.bin/ngrok-gitops to bin/ngrok-gitops.js, which npm links for dependents but not for the checkout itself.
import { mkdir, readlink, rm, symlink } from "node:fs/promises";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const link = join(root, "node_modules", ".bin", "ngrok-gitops");
const target = join("..", "..", "bin", "ngrok-gitops.js");

const current = await readlink(link).catch(() => null);
if (current !== target) {
  await mkdir(join(root, "node_modules", ".bin"), { recursive: true });
  await rm(link, { force: true });
  await symlink(target, link);
}
