// Shared set-up for the JS SDK conformance tests (not a test file: node --test only runs *.test.mjs).
//
// tools/servicebus-emulator/tests/test_js_sdk.py starts the emulator and passes, through the environment,
//   SB_CONNECTION_STRING  the official emulator connection string (UseDevelopmentEmulator=true)
//   SB_ENTITIES           JSON: {queues: {scenario: name}, topic, subscriptions: {name: name}, missing}
// so every run uses its own entity names. Running node --test by hand needs the same two variables.
import assert from "node:assert/strict";
import { ServiceBusClient } from "@azure/service-bus";

export const connectionString = process.env.SB_CONNECTION_STRING;
export const entities = JSON.parse(process.env.SB_ENTITIES ?? "null");
assert.ok(connectionString && entities,
  "set SB_CONNECTION_STRING and SB_ENTITIES (run through `pytest tools/servicebus-emulator/tests/test_js_sdk.py`)");

// Per node test: a hung SDK call fails its own scenario instead of the whole run.
export const SCENARIO = { timeout: 30_000 };

/** A client that fails fast: a conformance failure must show as the first error, not after back-offs. */
export function makeClient() {
  return new ServiceBusClient(connectionString, {
    retryOptions: { maxRetries: 1, retryDelayInMs: 200, maxRetryDelayInMs: 500, timeoutInMs: 10_000 },
  });
}

/** Receive until `count` messages arrived or `timeoutMs` passed (each call waits at most 1 s). */
export async function receive(receiver, count, timeoutMs = 10_000) {
  const got = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count && Date.now() < deadline) {
    got.push(...await receiver.receiveMessages(count - got.length, { maxWaitTimeInMs: 1_000 }));
  }
  return got;
}

/** Settled-once receivers: auto lock renewal off, so lock expiry behaves as configured. */
export const PEEK_LOCK = { receiveMode: "peekLock", maxAutoLockRenewalDurationInMs: 0 };

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sequence numbers come back as `Long`; compare them as plain numbers. */
export const seq = (message) => Number(message.sequenceNumber);
