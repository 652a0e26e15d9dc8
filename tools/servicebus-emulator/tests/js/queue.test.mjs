// Conformance: the real @azure/service-bus (JS, rhea) against the emulator, queue scenarios.
//
// The same core scenarios as tools/servicebus-emulator/tests/test_sdk_queue.py (Python SDK), so a second,
// independent AMQP client proves the emulator speaks Service Bus and not just "what pyamqp accepts".
// Each test uses its own queue (see helpers.mjs) and its own client, closed in `finally`.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { isServiceBusError } from "@azure/service-bus";
import { entities, makeClient, PEEK_LOCK, receive, SCENARIO, seq, sleep } from "./helpers.mjs";

const q = entities.queues;
const clients = [];
function client() {
  const c = makeClient();
  clients.push(c);
  return c;
}
// Closing every client lets node exit promptly (open AMQP connections keep the event loop alive).
after(async () => { await Promise.all(clients.map((c) => c.close())); });

test("send single + batch, receive peek-lock, complete", SCENARIO, async () => {
  const sb = client();
  const sender = sb.createSender(q.basic);
  await sender.sendMessages({
    body: "one", messageId: "m-1", subject: "s", correlationId: "c",
    applicationProperties: { kind: "single" },
  });
  const batch = await sender.createMessageBatch();
  for (let i = 0; i < 5; i++) assert.ok(batch.tryAddMessage({ body: `batch-${i}` }), "batch has room");
  assert.equal(batch.count, 5);
  await sender.sendMessages(batch);
  await sender.close();

  const receiver = sb.createReceiver(q.basic, PEEK_LOCK);
  const messages = await receive(receiver, 6);
  assert.deepEqual(messages.map((m) => m.body), ["one", ...[0, 1, 2, 3, 4].map((i) => `batch-${i}`)]);
  const [first] = messages;
  assert.equal(first.messageId, "m-1");
  assert.equal(first.subject, "s");
  assert.equal(first.correlationId, "c");
  assert.deepEqual(first.applicationProperties, { kind: "single" });
  assert.deepEqual(messages.map(seq), [1, 2, 3, 4, 5, 6]);
  assert.ok(messages.every((m) => m.deliveryCount === 0), "first delivery counts 0");
  // JS batches carry no message id: the broker assigns one (the lock renewer needs it).
  assert.ok(messages.slice(1).every((m) => m.messageId), "message id assigned by the broker");
  // The lock token is the delivery tag (16 bytes, .NET GUID order) that the SDK renders as a GUID.
  assert.match(first.lockToken ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  assert.equal(new Set(messages.map((m) => m.lockToken)).size, 6, "one lock token per message");
  assert.ok(Math.abs(first.enqueuedTimeUtc.getTime() - Date.now()) < 30_000, "enqueued time is now");
  assert.ok(first.lockedUntilUtc > first.enqueuedTimeUtc, "locked until after enqueue");
  for (const message of messages) await receiver.completeMessage(message);
  assert.deepEqual(await receiver.peekMessages(10), []);
  await receiver.close();
});

test("abandon redelivers with deliveryCount + 1; MaxDeliveryCount moves it to the DLQ", SCENARIO, async () => {
  const sb = client();
  const sender = sb.createSender(q.poison);
  await sender.sendMessages({ body: "poison" });
  await sender.close();

  const receiver = sb.createReceiver(q.poison, PEEK_LOCK);
  const [first] = await receive(receiver, 1);
  assert.equal(first.deliveryCount, 0);
  // JS abandons with modified(undeliverable-here=false), Python with modified(delivery-failed=true).
  await receiver.abandonMessage(first, { attempt: "first" });
  const [second] = await receive(receiver, 1);
  assert.ok(second, "the abandoned message comes back");
  assert.equal(second.deliveryCount, 1);
  assert.equal(seq(second), seq(first));
  assert.equal(second.applicationProperties?.attempt, "first", "properties to modify are merged");
  await receiver.abandonMessage(second); // MaxDeliveryCount 2 reached
  assert.deepEqual(await receiver.receiveMessages(1, { maxWaitTimeInMs: 1_000 }), []);
  await receiver.close();

  const dlq = sb.createReceiver(q.poison, { ...PEEK_LOCK, subQueueType: "deadLetter" });
  const [dead] = await receive(dlq, 1);
  assert.ok(dead, "the message is in the dead-letter queue");
  assert.equal(dead.body, "poison");
  assert.equal(dead.deadLetterReason, "MaxDeliveryCountExceeded");
  await dlq.completeMessage(dead);
  await dlq.close();
});

test("deadLetterMessage with reason and description", SCENARIO, async () => {
  const sb = client();
  const sender = sb.createSender(q.deadletter);
  await sender.sendMessages({ body: "bad", applicationProperties: { file: "a.csv" } });
  await sender.close();

  const receiver = sb.createReceiver(q.deadletter, PEEK_LOCK);
  const [message] = await receive(receiver, 1);
  await receiver.deadLetterMessage(message,
    { deadLetterReason: "InvalidFile", deadLetterErrorDescription: "row 3: bad IBAN" });
  assert.deepEqual(await receiver.receiveMessages(1, { maxWaitTimeInMs: 500 }), []);
  await receiver.close();

  const dlq = sb.createReceiver(q.deadletter, { ...PEEK_LOCK, subQueueType: "deadLetter" });
  const [dead] = await receive(dlq, 1);
  assert.ok(dead, "the message is in the dead-letter queue");
  assert.equal(dead.body, "bad");
  assert.equal(dead.deadLetterReason, "InvalidFile");
  assert.equal(dead.deadLetterErrorDescription, "row 3: bad IBAN");
  assert.equal(dead.applicationProperties?.file, "a.csv");
  await dlq.completeMessage(dead);
  assert.deepEqual(await dlq.peekMessages(5), []);
  await dlq.close();
});

test("deferMessage + receiveDeferredMessages", SCENARIO, async () => {
  const sb = client();
  const sender = sb.createSender(q.defer);
  await sender.sendMessages([{ body: "later" }, { body: "now" }]);
  await sender.close();

  const receiver = sb.createReceiver(q.defer, PEEK_LOCK);
  const [later, now] = await receive(receiver, 2);
  assert.deepEqual([later?.body, now?.body], ["later", "now"]);
  await receiver.deferMessage(later);
  await receiver.completeMessage(now);
  assert.deepEqual(await receiver.receiveMessages(1, { maxWaitTimeInMs: 1_000 }), [],
    "a deferred message is not delivered again");
  const [peeked] = await receiver.peekMessages(1);
  assert.equal(peeked?.state, "deferred", "peek shows the deferred state");
  const [deferred] = await receiver.receiveDeferredMessages([later.sequenceNumber]);
  assert.ok(deferred, "the deferred message is received by its sequence number");
  assert.equal(deferred.body, "later");
  assert.equal(seq(deferred), seq(later));
  await receiver.completeMessage(deferred);
  assert.deepEqual(await receiver.peekMessages(5), []);
  await receiver.close();
});

test("receiveAndDelete mode", SCENARIO, async () => {
  const sb = client();
  const sender = sb.createSender(q["receive-and-delete"]);
  await sender.sendMessages([0, 1, 2].map((i) => ({ body: `m${i}` })));
  await sender.close();

  const receiver = sb.createReceiver(q["receive-and-delete"], { receiveMode: "receiveAndDelete" });
  const got = await receive(receiver, 3);
  assert.deepEqual(got.map((m) => m.body).sort(), ["m0", "m1", "m2"]);
  assert.ok(got.every((m) => !m.lockToken), "receive-and-delete messages are not locked");
  assert.deepEqual(await receiver.peekMessages(5), [], "the messages are gone");
  await receiver.close();
});

test("peekMessages does not lock and continues after the last sequence number", SCENARIO, async () => {
  const sb = client();
  const sender = sb.createSender(q.peek);
  await sender.sendMessages([0, 1, 2, 3].map((i) => ({ body: `p${i}` })));
  await sender.close();

  const receiver = sb.createReceiver(q.peek, PEEK_LOCK);
  assert.deepEqual((await receiver.peekMessages(3)).map((m) => m.body), ["p0", "p1", "p2"]);
  assert.deepEqual((await receiver.peekMessages(3)).map((m) => m.body), ["p3"]);
  assert.deepEqual(await receiver.peekMessages(3), [], "nothing after the last one");
  const locked = await receive(receiver, 4);
  assert.equal(locked.length, 4, "peeked messages were never locked");
  for (const message of locked) await receiver.completeMessage(message);
  await receiver.close();
});

test("scheduleMessages + cancelScheduledMessages", SCENARIO, async () => {
  const sb = client();
  const sender = sb.createSender(q.schedule);
  const at = new Date(Date.now() + 4_000); // well past the receiver's link set-up
  const [keep, cancel] = await sender.scheduleMessages([{ body: "keep" }, { body: "drop" }], at);
  assert.ok(keep !== undefined && cancel !== undefined, "one sequence number per message");
  await sender.cancelScheduledMessages(cancel);
  await sender.close();

  const receiver = sb.createReceiver(q.schedule, PEEK_LOCK);
  const peeked = await receiver.peekMessages(5);
  assert.deepEqual(peeked.map(seq), [Number(keep)], "only the kept message is scheduled");
  assert.equal(peeked[0].state, "scheduled");
  assert.deepEqual(await receiver.receiveMessages(1, { maxWaitTimeInMs: 1_000 }), [], "not due yet");
  const [message] = await receive(receiver, 1, 10_000);
  assert.ok(message, "the scheduled message arrives when due");
  assert.equal(message.body, "keep");
  assert.equal(seq(message), Number(keep));
  assert.ok(Date.now() >= at.getTime() - 100, "not before its time");
  assert.ok(message.scheduledEnqueueTimeUtc instanceof Date, "carries its scheduled time");
  await receiver.completeMessage(message);
  assert.deepEqual(await receiver.receiveMessages(1, { maxWaitTimeInMs: 500 }), [], "the cancelled one never comes");
  await receiver.close();
});

test("renewMessageLock extends the lock; an expired lock redelivers and settling it fails", SCENARIO, async () => {
  const sb = client();
  const sender = sb.createSender(q.renew); // LockDuration PT3S
  await sender.sendMessages([{ body: "renewed" }, { body: "expired" }]);
  await sender.close();

  const receiver = sb.createReceiver(q.renew, PEEK_LOCK);
  const [renewed, expired] = await receive(receiver, 2);
  assert.deepEqual([renewed?.body, expired?.body], ["renewed", "expired"]);
  const oldUntil = renewed.lockedUntilUtc;
  await sleep(1_500);
  const newUntil = await receiver.renewMessageLock(renewed);
  assert.ok(newUntil instanceof Date && newUntil > oldUntil, `renewed ${newUntil} > ${oldUntil}`);
  assert.equal(renewed.lockedUntilUtc.getTime(), newUntil.getTime(), "the SDK updates the message");
  // At ~3.5 s: past the original 3 s lock, 1 s inside the renewed one (margins for a loaded machine).
  await sleep(2_000);
  await receiver.completeMessage(renewed);
  const [again] = await receive(receiver, 1);
  assert.ok(again, "the expired message is redelivered");
  assert.equal(again.body, "expired");
  assert.equal(again.deliveryCount, 1);
  await assert.rejects(receiver.completeMessage(expired),
    (err) => isServiceBusError(err) && err.code === "MessageLockLost", "settling an expired lock fails");
  await receiver.completeMessage(again);
  await receiver.close();
});

test("subscribe() streams messages to the handler and auto-completes them", SCENARIO, async () => {
  const sb = client();
  const sender = sb.createSender(q.subscribe);
  await sender.sendMessages([0, 1, 2].map((i) => ({ body: `s${i}` })));
  await sender.close();

  const receiver = sb.createReceiver(q.subscribe, PEEK_LOCK);
  const bodies = [];
  const errors = [];
  let firstSequenceNumber; // a Long, to peek from the start again (peek otherwise continues)
  let done;
  const allReceived = new Promise((resolve) => { done = resolve; });
  const subscription = receiver.subscribe({
    async processMessage(message) {
      bodies.push(message.body);
      if (firstSequenceNumber === undefined || seq(message) < Number(firstSequenceNumber)) {
        firstSequenceNumber = message.sequenceNumber;
      }
      if (bodies.length === 3) done();
    },
    async processError(args) { errors.push(args.error); },
  }, { autoCompleteMessages: true, maxConcurrentCalls: 1 });
  const timer = setTimeout(done, 10_000);
  await allReceived;
  clearTimeout(timer);
  // The auto-complete runs after processMessage returns: wait (bounded) for the queue to empty.
  let left = [];
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(100)) {
    left = await receiver.peekMessages(5, { fromSequenceNumber: firstSequenceNumber });
    if (left.length === 0) break;
  }
  await subscription.close();
  assert.deepEqual(errors, [], "no errors reported to processError");
  assert.deepEqual(bodies.sort(), ["s0", "s1", "s2"], "each message once");
  assert.deepEqual(left.map((m) => m.body), [], "auto-completed");
  await receiver.close();
});

test("an unknown entity gives MessagingEntityNotFound, to a receiver and a sender", SCENARIO, async () => {
  const sb = client();
  const notFound = (err) => {
    assert.ok(isServiceBusError(err), `a ServiceBusError, got ${err?.name}: ${err?.message}`);
    assert.equal(err.code, "MessagingEntityNotFound");
    return true;
  };
  const receiver = sb.createReceiver(entities.missing, PEEK_LOCK);
  await assert.rejects(receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 }), notFound);
  await receiver.close();
  // Unlike pyamqp's sender, which races the detach, rhea's sender waits for the attach reply.
  const sender = sb.createSender(entities.missing);
  await assert.rejects(sender.sendMessages({ body: "nowhere" }), notFound);
  await sender.close();
});
