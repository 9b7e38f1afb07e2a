#!/usr/bin/env node
// The `ngrok-gitops` bin (npx ngrok-gitops, node_modules/.bin/ngrok-gitops): registers tsx, then runs src/cli/main.ts from this checkout.
import { register } from "tsx/esm/api";

register();
await import(new URL("../src/cli/main.ts", import.meta.url).href);
