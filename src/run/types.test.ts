// The closed unions of a run's edges: stages, outcome actions and failure codes reject what they do not list (checked by tsc and at runtime).
import { describe, expect, it } from "vitest";
import { FAILURE_CODES, failureCode, type FailureCode, type FailureInfo } from "../apply/types.js";
import type { CliErrorCode } from "../cli/errors.js";
import type { NgrokApiError, NgrokNetworkError, NgrokProtocolError } from "../ngrok/errors.js";
import type { Action, Delivery } from "../plan/types.js";
import type { VaultErrorCode } from "../vault/errors.js";
import type { BudgetExhaustedError } from "./budget.js";
import { runStateSchema } from "./state-schema.js";
import { newRunState } from "./state.js";
import { OUTCOME_ACTIONS, STAGES, type OutcomeAction, type OutcomeInfo, type RunProgress, type Stage } from "./types.js";

/** True only when A and B are the same union. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe("closed unions", () => {
  it("a stage, an outcome action or a failure code the union does not list does not compile", () => {
    // @ts-expect-error "deploy" is not a stage
    const stage: Stage = "deploy";
    // @ts-expect-error a progress line names a stage of the run
    const progress: Pick<RunProgress, "stage"> = { stage: "deploy" };
    // @ts-expect-error "destroy" is no action of a plan or a delivery
    const action: OutcomeInfo["action"] = "destroy";
    // @ts-expect-error a failure names one of the ports' codes
    const failure: FailureInfo = { code: "SOMETHING_ELSE", message: "" };
    expect([stage, progress, action, failure]).toHaveLength(4);
  });

  it("the unions are exactly what the plan, the ports' errors and the run say", () => {
    const actions: Same<OutcomeAction, Action | Delivery["action"]> = true;
    const intentCodes: Same<Extract<FailureCode, `CLI_${string}`>, Extract<CliErrorCode, "CLI_INTENTS_INVALID" | "CLI_INTENTS_WRITE">> = true;
    type PortCodes = NgrokApiError["code"] | NgrokNetworkError["code"] | NgrokProtocolError["code"] | BudgetExhaustedError["code"] | VaultErrorCode;
    const ports: Same<Extract<FailureCode, PortCodes>, PortCodes> = true;
    expect([actions, intentCodes, ports]).toEqual([true, true, true]);
    expect(STAGES[0]).toBe(newRunState(1, "k", { cause: "cron", mode: "apply" }, "apply").stage);
    expect([...OUTCOME_ACTIONS].sort()).toEqual(["create", "delete", "deliver", "import", "replace", "rotate", "undeliver", "update"]);
  });

  it("an error's code outside the union is reported as INTERNAL", () => {
    expect(failureCode("NGROK_API_ERROR")).toBe("NGROK_API_ERROR");
    expect(failureCode("VAULT_STORE_FAILED")).toBe("VAULT_STORE_FAILED");
    expect(failureCode("ENOENT")).toBe("INTERNAL");
    expect(failureCode("toString")).toBe("INTERNAL");
    expect(failureCode(undefined)).toBe("INTERNAL");
    expect(FAILURE_CODES).toContain("INTERNAL");
  });

  it("a persisted state with an unknown stage is refused when read back", () => {
    const state = newRunState(1, "k", { cause: "cron", mode: "apply" }, "apply");
    expect(runStateSchema.safeParse(state).success).toBe(true);
    expect(runStateSchema.safeParse({ ...state, stage: "deploy" }).success).toBe(false);
  });
});
