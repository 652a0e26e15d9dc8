// Conformance: topic -> subscription fan-out with the real @azure/service-bus (JS) against the emulator.
//
// Mirrors tools/servicebus-emulator/tests/test_sdk_topic.py: a subscription with no rule (the default true filter)
// gets every message; correlation-filter subscriptions get only the matching ones.
import assert from "node:assert/strict";
import { test } from "node:test";
import { entities, makeClient, PEEK_LOCK, receive, SCENARIO } from "./helpers.mjs";

/** Everything on a subscription, completed, then a short check that nothing else is waiting. */
async function drain(sb, subscription, count) {
  const receiver = sb.createReceiver(entities.topic, subscription, PEEK_LOCK);
  const got = await receive(receiver, count, 8_000);
  for (const message of got) await receiver.completeMessage(message);
  got.push(...await receiver.receiveMessages(1, { maxWaitTimeInMs: 1_000 }));
  await receiver.close();
  return got.map((m) => m.body).sort();
}

test("topic fan-out: true filter gets all, correlation filters only the matching", SCENARIO, async () => {
  const sb = makeClient();
  try {
    const sender = sb.createSender(entities.topic);
    await sender.sendMessages([
      { body: "red-note", applicationProperties: { colour: "red" }, subject: "note" },
      { body: "blue-note", applicationProperties: { colour: "blue" }, subject: "note" },
      { body: "order-42-invoice", correlationId: "order-42", subject: "invoice" },
      { body: "order-42-note", correlationId: "order-42", subject: "note" },
    ]);
    await sender.close();

    const subs = entities.subscriptions;
    assert.deepEqual(await drain(sb, subs.all, 4),
      ["blue-note", "order-42-invoice", "order-42-note", "red-note"]);
    // CorrelationFilter {Properties: {colour: red}}
    assert.deepEqual(await drain(sb, subs.red, 1), ["red-note"]);
    // CorrelationFilter {CorrelationId: order-42, Label: invoice}: every field must match
    assert.deepEqual(await drain(sb, subs["order-42"], 1), ["order-42-invoice"]);
  } finally {
    await sb.close();
  }
});

test("subscription dead-letter queue (<topic>/Subscriptions/<sub>/$DeadLetterQueue)", SCENARIO, async () => {
  const sb = makeClient();
  try {
    const sender = sb.createSender(entities.topic);
    await sender.sendMessages({ body: "red-bad", applicationProperties: { colour: "red" } });
    await sender.close();

    const red = entities.subscriptions.red;
    const receiver = sb.createReceiver(entities.topic, red, PEEK_LOCK);
    const [message] = await receive(receiver, 1);
    assert.equal(message?.body, "red-bad");
    await receiver.deadLetterMessage(message, { deadLetterReason: "Rejected", deadLetterErrorDescription: "why" });
    await receiver.close();

    const dlq = sb.createReceiver(entities.topic, red, { ...PEEK_LOCK, subQueueType: "deadLetter" });
    const [dead] = await receive(dlq, 1);
    assert.equal(dead?.body, "red-bad");
    assert.equal(dead.deadLetterReason, "Rejected");
    assert.equal(dead.deadLetterErrorDescription, "why");
    await dlq.completeMessage(dead);
    await dlq.close();
  } finally {
    await sb.close();
  }
});
