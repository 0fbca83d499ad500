// Workflow histories as proto3 JSON: the format of `temporal workflow show --output json`, of the Web UI's
// download and of @temporalio/common's historyToJSON (indented by 2), read back for Worker.runReplayHistories.
//
// Why not historyToJSON / historyFromJSON from '@temporalio/common/lib/proto-utils'? With this lockfile they
// throw "type must be a Type": @temporalio/common, @temporalio/proto and @temporalio/worker each get a nested
// copy of protobufjs 8 (the hoisted one is @grpc/proto-loader's protobufjs 7), and protojson's `instanceof
// Type` check fails across copies. The SDK's replay path hits the same error when handed JSON. This module
// does what they do with the protojson extension of the protobufjs copy that @temporalio/proto itself loaded,
// found through @temporalio/common's own resolution (so it follows whatever layout npm chose). Once the
// copies are deduplicated, the SDK's functions can replace this file unchanged.
import { createRequire } from 'node:module';
import type { History } from '@temporalio/worker';

interface ProtoType {
  readonly fullName: string;
}
interface ProtoRoot {
  lookupType(name: string): ProtoType;
  temporal: { api: { history: { v1: { History: { fromObject(o: unknown): unknown } } } } };
}
interface ProtoJson {
  toJson(type: ProtoType, message: unknown): unknown;
  fromJson(type: ProtoType, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const fromHere = createRequire(import.meta.url);
const fromCommon = createRequire(fromHere.resolve('@temporalio/common'));
const protoMain = fromCommon.resolve('@temporalio/proto');
const fromProto = createRequire(protoMain);
const root = fromProto(protoMain) as ProtoRoot;
const protojson = fromProto('protobufjs/ext/protojson') as ProtoJson;
const historyType = root.lookupType('temporal.api.history.v1.History');

/** A history (e.g. from WorkflowHandle.fetchHistory()) as proto3 JSON text, indented like historyToJSON's. */
export function historyToJSON(history: History): string {
  const message = root.temporal.api.history.v1.History.fromObject(history);
  return `${JSON.stringify(protojson.toJson(historyType, message), null, 2)}\n`;
}

/** Parsed proto3 JSON of a history → the History message Worker.runReplayHistories takes as is. */
export function historyFromJSON(json: unknown): History {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events))
    throw new TypeError('not a history: expected an object with an array of events');
  // Unknown fields (a newer server's) are ignored, as the SDK's historyFromJSON does.
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}
